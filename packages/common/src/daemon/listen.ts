/** `server.listen` as a promise that rejects with the listen error instead of emitting it. */
import type { Server } from 'node:net';

export function listen(server: Server, target: string | { fd: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
