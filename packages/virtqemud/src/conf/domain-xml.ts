/** The conf/ entry points for domains: XML → validated DomainDef and back. */
import type { DomainDef } from './domain-def.js';
import { parseDomainDef } from './domain-parse.js';
import { postParseDomainDef, type PostParseOptions } from './domain-postparse.js';
import { validateDomainDef } from './domain-validate.js';

export type { DomainDef } from './domain-def.js';
export { parseDomainDef } from './domain-parse.js';
export { postParseDomainDef, type PostParseOptions } from './domain-postparse.js';
export { validateDomainDef } from './domain-validate.js';
export { formatDomainDef, type FormatOptions } from './domain-format.js';

/** parse → postParse → validate: what defineXML and createXML hand to the driver. */
export function domainDefFromXml(xml: string, options: PostParseOptions = {}): DomainDef {
  const def = postParseDomainDef(parseDomainDef(xml), options);
  validateDomainDef(def);
  return def;
}
