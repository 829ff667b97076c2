/** Test support for servers the tests start on 127.0.0.1: a free port to give them, and whether one listens. */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A port the kernel just handed out on 127.0.0.1 and that is closed again, for a server to take. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** True when some process listens on TCP `port` (as `ss` sees it: a server in another process too). */
export function isListening(port: number): boolean {
  return spawnSync('ss', ['-Htln', `( sport = :${port} )`], { encoding: 'utf8' }).stdout.includes(`:${port}`);
}
