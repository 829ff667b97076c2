/** Locates files under the package root (schemas/) from both src/conf and dist/src/conf. */
import { fileURLToPath } from 'node:url';

/**
 * The package root seen from this module: src/conf/ when run from sources (tsx, tests
 * under a loader), dist/src/conf/ once compiled. Decided from the URL alone, no I/O.
 */
export function packageRootUrl(): URL {
  const here = new URL('.', import.meta.url);
  const up = here.pathname.endsWith('/dist/src/conf/') ? '../../../' : '../../';
  return new URL(up, here);
}

/** Absolute path of a RelaxNG schema shipped in schemas/, e.g. `domainSchemaPath()`. */
export function schemaPath(name: string): string {
  return fileURLToPath(new URL(`schemas/${name}`, packageRootUrl()));
}

export function domainSchemaPath(): string {
  return schemaPath('domain.rng');
}
