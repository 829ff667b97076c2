/** Safe XML parsing (libxmljs2: entity expansion, DTDs and network off) and cached RelaxNG validation (libxml2-wasm). */
import { readFileSync } from 'node:fs';
import libxml from 'libxmljs2';
import { ParseOption, RelaxNGValidator, XmlDocument as WasmDocument, XmlValidateError } from 'libxml2-wasm';
import type { Document, Element, ParserOptions } from 'libxmljs2';
import type { ErrorDomain } from '../errors/error-codes.js';
import { invalidArg, schemaError, xmlError } from './xml-errors.js';

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

/**
 * Parses `xml`; malformed input → XML_ERROR naming libxml's message, line and column,
 * reported in the caller's error `domain`.
 */
export function parseXmlSafe(xml: string, what: string, domain: ErrorDomain): XmlDocument {
  if (typeof xml !== 'string') throw invalidArg(domain, `${what} must be a string`);
  if (xml.trim() === '') throw xmlError(domain, `(${what}):1: empty document`);
  let doc: XmlDocument;
  try {
    doc = libxml.parseXml(xml, SAFE_PARSE_OPTIONS);
  } catch (err) {
    throw xmlError(domain, `(${what}): ${describe(err as LibxmlError)}`);
  }
  // getDtd() reports the DOCTYPE's name; a document without one gives null.
  if (doc.getDtd()?.name) throw xmlError(domain, `(${what}): a DOCTYPE is not allowed`);
  if (!doc.root()) throw xmlError(domain, `(${what}): no root element`);
  return doc;
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

/**
 * Compiled RelaxNG validators, one per schema file, kept for the daemon's life.
 * libxmljs2 recompiles the schema on every validation (about 2-5 ms for the domain
 * schema, most of a define); libxml2-wasm keeps the compiled grammar, so a
 * document is validated in tens of microseconds. Parsing into the model stays
 * with libxmljs2.
 */
const validatorCache = new Map<string, RelaxNGValidator>();

function compiledValidator(path: string): RelaxNGValidator {
  let validator = validatorCache.get(path);
  if (!validator) {
    const schemaDoc = WasmDocument.fromString(readFileSync(path, 'utf8'), { option: WASM_PARSE_OPTIONS });
    try {
      validator = RelaxNGValidator.fromDoc(schemaDoc);
    } finally {
      schemaDoc.dispose();
    }
    validatorCache.set(path, validator);
  }
  return validator;
}

/** Network and external entities off: the text was already parsed safely by libxmljs2, DOCTYPE refused. */
const WASM_PARSE_OPTIONS = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;

/** libxml's complaints about `xml`, empty when it matches the schema. */
function schemaViolations(xml: string, schemaFile: string): LibxmlError[] {
  const wasmDoc = WasmDocument.fromString(xml, { option: WASM_PARSE_OPTIONS });
  try {
    compiledValidator(schemaFile).validate(wasmDoc);
    return [];
  } catch (err) {
    if (!(err instanceof XmlValidateError)) throw err;
    return err.details.map((d) => ({ message: d.message, line: d.line, column: d.col }));
  } finally {
    wasmDoc.dispose();
  }
}

/**
 * Validates `doc`, parsed from `xml`, against a RelaxNG schema; a violation →
 * XML_INVALID_SCHEMA with libxml's first complaints.
 */
export function validateRng(
  doc: XmlDocument,
  xml: string,
  schemaFile: string,
  what: string,
  domain: ErrorDomain,
): void {
  const violations = schemaViolations(xml, schemaFile);
  if (violations.length === 0) return;
  // libxml often reports an interleave failure without a line, then the enclosing
  // element with one: both are needed to find the culprit.
  const errors = violations.slice(0, 3).map(describe);
  const hint = unknownName(doc, schemaNames(schemaFile));
  if (hint) errors.unshift(hint);
  throw schemaError(domain, `${what} does not match schema: ${errors.join('; ')}`);
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
