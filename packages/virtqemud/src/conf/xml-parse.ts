/** Safe XML parsing and RelaxNG validation on top of libxmljs2 (entity expansion, DTDs and network off). */
import { readFileSync } from 'node:fs';
import libxml from 'libxmljs2';
import type { Document, Element, ParserOptions } from 'libxmljs2';
import { invalidArg, schemaError, xmlError } from './conf-error.js';

export type XmlDocument = Document;
export type XmlElement = Element;

/**
 * No entity substitution, no external subset, no network, no DTD defaults and the
 * parser's built-in size limits kept (huge off): an XXE or billion-laughs payload can
 * neither read a file nor blow up memory. A DTD is refused outright after parsing,
 * because even internal entities would be expanded by text().
 */
export const SAFE_PARSE_OPTIONS: Readonly<ParserOptions> = Object.freeze({
  noent: false,
  nonet: true,
  dtdload: false,
  dtdattr: false,
  dtdvalid: false,
  xinclude: false,
  huge: false,
  recover: false,
});

interface LibxmlError {
  message?: string;
  line?: number | null;
  column?: number | null;
}

function describe(e: LibxmlError): string {
  const text = (e.message ?? 'unknown error').trim();
  const where = e.line ? ` at line ${e.line}${e.column ? `, column ${e.column}` : ''}` : '';
  return `${text}${where}`;
}

/** Parses `xml`; malformed input → XML_ERROR naming libxml's message, line and column. */
export function parseXmlSafe(xml: string, what = 'XML document'): XmlDocument {
  if (typeof xml !== 'string') throw invalidArg(`${what} must be a string`);
  if (xml.trim() === '') throw xmlError(`(${what}):1: empty document`);
  let doc: XmlDocument;
  try {
    doc = libxml.parseXml(xml, SAFE_PARSE_OPTIONS);
  } catch (err) {
    throw xmlError(`(${what}): ${describe(err as LibxmlError)}`);
  }
  // getDtd() reports the DOCTYPE's name; a document without one gives null.
  if (doc.getDtd()?.name) throw xmlError(`(${what}): a DOCTYPE is not allowed`);
  if (!doc.root()) throw xmlError(`(${what}): no root element`);
  return doc;
}

/** libxmljs2 implements rngValidate natively but its typings omit it. */
interface RngCapable {
  rngValidate(schema: Document): boolean;
  validationErrors: LibxmlError[];
}

const schemaCache = new Map<string, Document>();

/** The parsed schema document: read from disk once per path, the only I/O in conf/. */
export function loadSchema(path: string): Document {
  let schema = schemaCache.get(path);
  if (!schema) {
    schema = libxml.parseXml(readFileSync(path, 'utf8'), SAFE_PARSE_OPTIONS);
    schemaCache.set(path, schema);
  }
  return schema;
}

/** Validates against a RelaxNG schema; a violation → XML_INVALID_SCHEMA with libxml's first complaint. */
export function validateRng(doc: XmlDocument, schemaFile: string, what = 'XML document'): void {
  const capable = doc as unknown as RngCapable;
  if (capable.rngValidate(loadSchema(schemaFile))) return;
  // libxml often reports an interleave failure without a line, then the enclosing
  // element with one: both are needed to find the culprit.
  const errors = capable.validationErrors.slice(0, 3).map(describe);
  const hint = unknownName(doc, schemaNames(schemaFile));
  if (hint) errors.unshift(hint);
  const detail = errors.length > 0 ? errors.join('; ') : 'document does not match the schema';
  throw schemaError(`${what} does not match schema: ${detail}`);
}

const RNG_NS = 'http://relaxng.org/ns/structure/1.0';
const namesCache = new Map<string, { elements: Set<string>; attributes: Set<string> }>();

/** Every element and attribute name the schema mentions anywhere. */
function schemaNames(path: string): { elements: Set<string>; attributes: Set<string> } {
  let names = namesCache.get(path);
  if (!names) {
    const schema = loadSchema(path);
    const pick = (kind: string): Set<string> =>
      new Set(schema.find<Element>(`//rng:${kind}[@name]`, { rng: RNG_NS }).map((e) => e.attr('name')?.value() ?? ''));
    names = { elements: pick('element'), attributes: pick('attribute') };
    namesCache.set(path, names);
  }
  return names;
}

/**
 * libxml's RelaxNG errors inside an interleave name the parent, not the intruder
 * ("Extra element devices in interleave"); a name the schema never mentions is
 * almost always the culprit, so it is reported first. Namespaced (foreign)
 * elements, as in <metadata>, are left to the schema.
 */
function unknownName(doc: XmlDocument, names: { elements: Set<string>; attributes: Set<string> }): string | undefined {
  const visit = (el: Element): string | undefined => {
    if (el.namespace()) return undefined;
    if (!names.elements.has(el.name())) return `unknown element <${el.name()}> at line ${el.line()}`;
    for (const a of el.attrs()) {
      if (!a.namespace() && !names.attributes.has(a.name())) {
        return `unknown attribute '${a.name()}' of element <${el.name()}> at line ${el.line()}`;
      }
    }
    for (const child of el.childNodes()) {
      if (child.type() !== 'element') continue;
      const found = visit(child as Element);
      if (found) return found;
    }
    return undefined;
  };
  const root = doc.root();
  return root ? visit(root) : undefined;
}
