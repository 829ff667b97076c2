/** Test support for capabilities: fixture paths, the recorded QemuInfo, golden files (VIR_TEST_REGENERATE_OUTPUT=1 rewrites them). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import libxml from 'libxmljs2';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import type { QemuInfo } from '../../src/capabilities/index.js';
import { parseXmlSafe, type XmlDocument } from '../../src/conf/xml-parse.js';

export const FIXTURES = new URL('../../../test/fixtures/capabilities/', import.meta.url);

export function fixturePath(rel: string): string {
  return fileURLToPath(new URL(rel, FIXTURES));
}

/** QEMU 7.2's probe of the installed binary, trimmed; JSON null stands for undefined. */
export function loadQemuInfo(): QemuInfo {
  const text = readFileSync(fixturePath('qemu-7.2.json'), 'utf8');
  return JSON.parse(text, (_key, value: unknown) => (value === null ? undefined : value)) as QemuInfo;
}

/** Compares with the golden file, or rewrites it when regenerating (then check the diff by hand). */
export function assertGolden(actual: string, name: string): void {
  const path = fixturePath(name);
  if (process.env.VIR_TEST_REGENERATE_OUTPUT === '1') writeFileSync(path, actual);
  assert.fixture(actual, readFileSync(path, 'utf8'), name);
}

/** Parses with the project's safe parser: malformed output fails here. */
export function parse(xml: string): XmlDocument {
  return parseXmlSafe(xml, 'capabilities output');
}

export function texts(doc: XmlDocument, xpath: string): string[] {
  return doc.find(xpath).map((node) => ('text' in node ? (node as { text(): string }).text() : String(node)));
}

export function attrs(doc: XmlDocument, xpath: string): string[] {
  return doc.find(xpath).map((node) => (node as unknown as { value(): string }).value());
}

/** Debian's libvirt0 ships libvirt's own RelaxNG schemas; used as an independent check when present. */
const LIBVIRT_SCHEMAS = '/usr/share/libvirt/schemas/';

export function libvirtSchemasPresent(): boolean {
  return existsSync(`${LIBVIRT_SCHEMAS}capability.rng`) && existsSync(`${LIBVIRT_SCHEMAS}domaincaps.rng`);
}

/** libxml's complaints about `xml` against libvirt's `rng` ([] when valid). The base URL lets the schema's includes resolve. */
export function libvirtSchemaErrors(xml: string, rng: 'capability.rng' | 'domaincaps.rng' | 'domain.rng'): string[] {
  const path = `${LIBVIRT_SCHEMAS}${rng}`;
  const schema = libxml.parseXml(readFileSync(path, 'utf8'), { baseUrl: path });
  const doc = parse(xml) as unknown as {
    rngValidate(s: unknown): boolean;
    validationErrors: Array<{ message?: string }>;
  };
  return doc.rngValidate(schema) ? [] : doc.validationErrors.map((e) => (e.message ?? '').trim());
}
