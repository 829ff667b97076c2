/** capabilities and domcapabilities over RPC, from a real virtqemud, read-only included. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, getCapabilities, getDomainCapabilities, open } from '@tsvirt/client';
import { makeTempRoot, rejectionOf, removeTempRoot, spawnNamedDaemon } from '@tsvirt/common/testing';
import { parse, texts } from './capabilities/fixtures.js';

test('a read-only client gets capabilities and domain capabilities from virtqemud', async () => {
  const root = makeTempRoot();
  const daemon = await spawnNamedDaemon('virtqemud', root);
  try {
    const conn = await open('qemu:///session', { env: { ...process.env, TSVIRT_ROOT: root }, readonly: true });
    const caps = parse(await getCapabilities(conn));
    assert.equal(texts(caps, '/capabilities/host/cpu/arch'), ['x86_64']);
    assert.ok(caps.find("/capabilities/guest/arch[@name='x86_64']/domain[@type='qemu']").length === 1);

    const domcaps = parse(await getDomainCapabilities(conn, { virttype: 'qemu', machine: 'pc' }));
    assert.equal(texts(domcaps, '/domainCapabilities/domain'), ['qemu']);
    assert.match(texts(domcaps, '/domainCapabilities/machine')[0] ?? '', /^pc-i440fx-/);

    const err = await rejectionOf(getDomainCapabilities(conn, { machine: 'no-such-machine' }));
    assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
    assert.match(err.message, 'no-such-machine');
    await conn.close();
  } finally {
    await daemon.stop();
    removeTempRoot(root);
  }
});

test.run();
