import { open } from '@tsvirt/client';
const c = await open('qemu:///session', { autostart: false });
for (let k = 0; k < 6; k++) {
  const t0 = performance.now();
  for (let i = 0; i < 20000; i++) await c.getVersion();
  console.log('calls/s', Math.round(20000 / ((performance.now() - t0) / 1000)));
}
await c.close();
