/**
 * Safe XML parsing and RelaxNG validation, now shared in @tsvirt/common/xml; re-exported
 * here with the DOMAIN error domain bound, so virtqemud's conf modules keep their imports.
 */
import { ErrorDomain } from '@tsvirt/common';
import * as shared from '@tsvirt/common/xml';
import type { XmlDocument } from '@tsvirt/common/xml';

export { SAFE_PARSE_OPTIONS, loadSchema, type XmlDocument, type XmlElement } from '@tsvirt/common/xml';

/** Parses `xml`; malformed input → XML_ERROR (domain DOMAIN) naming libxml's message, line and column. */
export function parseXmlSafe(xml: string, what = 'XML document'): XmlDocument {
  return shared.parseXmlSafe(xml, what, ErrorDomain.DOMAIN);
}

/** Validates `doc`, parsed from `xml`, against a RelaxNG schema; a violation → XML_INVALID_SCHEMA. */
export function validateRng(doc: XmlDocument, xml: string, schemaFile: string, what = 'XML document'): void {
  shared.validateRng(doc, xml, schemaFile, what, ErrorDomain.DOMAIN);
}
