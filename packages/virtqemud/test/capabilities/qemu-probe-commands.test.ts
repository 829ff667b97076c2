/** The probe's own QMP queries against QEMU 7.2's reply shapes on a scripted monitor, and against wrong ones. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import { rejectionOf } from '@tsvirt/common/testing';
import { QmpConnection } from '../../src/qemu/monitor/index.js';
import { qomListTypes, queryCommands, queryCpuDefinitions } from '../../src/capabilities/qemu-probe-commands.js';
import { FakeMonitor, type FakeScript } from '../monitor/fake-monitor.js';

async function withScript(script: FakeScript): Promise<{ fake: FakeMonitor; qmp: QmpConnection }> {
  const { fake, client } = FakeMonitor.pair({ script });
  return { fake, qmp: await QmpConnection.connect(client) };
}

test('query-cpu-definitions: names, unavailable features, aliases and deprecation', async () => {
  const { fake, qmp } = await withScript({
    'query-cpu-definitions': {
      return: [
        { name: 'max', typename: 'max-x86_64-cpu', 'unavailable-features': [], static: false, deprecated: false },
        {
          name: 'EPYC',
          typename: 'EPYC-x86_64-cpu',
          'unavailable-features': ['pni', 'ssse3'],
          static: false,
          'migration-safe': true,
          'alias-of': 'EPYC-v1',
          deprecated: false,
        },
        { name: 'old', typename: 'old-x86_64-cpu', static: false, deprecated: true },
      ],
    },
  });
  assert.equal(await queryCpuDefinitions(qmp), [
    { name: 'max', unavailableFeatures: [], deprecated: false, aliasOf: undefined },
    { name: 'EPYC', unavailableFeatures: ['pni', 'ssse3'], deprecated: false, aliasOf: 'EPYC-v1' },
    { name: 'old', unavailableFeatures: [], deprecated: true, aliasOf: undefined },
  ]);
  fake.close();
});

test('qom-list-types asks for concrete types; query-commands lists names', async () => {
  const { fake, qmp } = await withScript({
    'qom-list-types': (args) => {
      assert.equal(args, { abstract: false });
      return {
        return: [
          { name: 'virtio-vga', parent: 'virtio-vga-base' },
          { name: 'VGA', parent: 'pci-device' },
        ],
      };
    },
    'query-commands': { return: [{ name: 'query-spice' }, { name: 'quit' }] },
  });
  assert.equal(await qomListTypes(qmp), ['virtio-vga', 'VGA']);
  assert.equal(await queryCommands(qmp), ['query-spice', 'quit']);
  fake.close();
});

test('a surprising shape is INTERNAL_ERROR naming the command and the field', async () => {
  const { fake, qmp } = await withScript({
    'query-cpu-definitions': { return: [{ name: 'x', 'unavailable-features': [3] }] },
    'qom-list-types': { return: {} },
  });
  const err = await rejectionOf(queryCpuDefinitions(qmp));
  assert.is(err.code, ErrorCode.INTERNAL_ERROR);
  assert.match(err.message, "'query-cpu-definitions': return[0].unavailable-features[0] is not a string");
  const err2 = await rejectionOf(qomListTypes(qmp));
  assert.match(err2.message, "'qom-list-types': return is not an array");
  fake.close();
});

test.run();
