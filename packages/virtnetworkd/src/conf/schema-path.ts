/** Locates the RelaxNG schemas shipped in schemas/ from both src/conf and dist/src/conf. */
import { fileURLToPath } from 'node:url';

/** The package root seen from this module, decided from the URL alone (no I/O). */
function packageRootUrl(): URL {
  const here = new URL('.', import.meta.url);
  const up = here.pathname.endsWith('/dist/src/conf/') ? '../../../' : '../../';
  return new URL(up, here);
}

export function networkSchemaPath(): string {
  return fileURLToPath(new URL('schemas/network.rng', packageRootUrl()));
}

export function networkPortSchemaPath(): string {
  return fileURLToPath(new URL('schemas/networkport.rng', packageRootUrl()));
}
