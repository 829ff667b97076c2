/**
 * domain.getStats and the CPU time of domain.getInfo through a real virtqemud and real
 * QEMUs: OS-less guests under KVM for state, CPU, balloon, vCPU, block sizes and the
 * filters; the test guest (TCG) reading its virtio disk for the block counters.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createDomainXML,
  defineDomain,
  destroyDomain,
  getAllDomainStats,
  getDomainInfo,
  open,
  startDomain,
  suspendDomain,
  type Connection,
  type DomainStatsRecord,
} from '@tsvirt/client';
import { waitFor } from '@tsvirt/common/testing';
import { guestXml, markerDisk, serialText, withGuestDaemon } from './real-guest.js';

const MiB = 1024 * 1024;

function osLessXml(name: string, disk: string | undefined): string {
  return `<domain type='kvm'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu current='1'>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
${disk ? `    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>\n` : ''}    <interface type='user'><model type='virtio'/></interface>
    <memballoon model='virtio'/>
  </devices>
</domain>`;
}

const withDaemon = (body: (root: string, conn: Connection) => Promise<void>): Promise<void> =>
  withGuestDaemon(async (g) => body(g.root, await g.connect()));

const byName = (records: DomainStatsRecord[], name: string): DomainStatsRecord['params'] => {
  const record = records.find((r) => r.domain.name === name);
  if (!record) throw new Error(`no record for '${name}' in ${JSON.stringify(records.map((r) => r.domain.name))}`);
  return record.params;
};

const num = (params: DomainStatsRecord['params'], key: string): number => {
  const value = params[key];
  if (typeof value !== 'number') throw new Error(`${key} is ${JSON.stringify(value)} in ${JSON.stringify(params)}`);
  return value;
};

test('stats of inactive, running and paused OS-less domains, read-only, filtered, and getInfo CPU time', () =>
  withDaemon(async (root, conn) => {
    const disk = join(root, 'a.raw');
    writeFileSync(disk, '');
    truncateSync(disk, 16 * MiB); // sparse
    const a = await defineDomain(conn, osLessXml('stats-a', disk));
    const b = await defineDomain(conn, osLessXml('stats-b', undefined));

    // Inactive: the state, and what the definition says (libvirt's set for a shut-off domain).
    const inactive = await getAllDomainStats(conn, { uuids: [a.uuid] });
    assert.equal(inactive.length, 1);
    assert.equal(inactive[0]!.domain, { name: 'stats-a', uuid: a.uuid, id: -1 });
    assert.equal(Object.entries(inactive[0]!.params), [
      ['state.state', 5],
      ['state.reason', 0],
      ['balloon.current', 65536],
      ['balloon.maximum', 65536],
      ['vcpu.current', 1],
      ['vcpu.maximum', 2],
      ['block.count', 1],
      ['block.0.name', 'vda'],
      ['block.0.path', disk],
      ['block.0.capacity', 16 * MiB],
      ['block.0.physical', 16 * MiB],
    ]);
    assert.equal(Object.entries(byName(await getAllDomainStats(conn, { groups: ['state'] }), 'stats-a')), [
      ['state.state', 5],
      ['state.reason', 0],
    ]);
    assert.is((await getDomainInfo(conn, a.uuid)).cpuTimeNs, 0);

    await startDomain(conn, a.uuid);
    const running = byName(await getAllDomainStats(conn, { uuids: [a.uuid] }), 'stats-a');
    assert.equal([running['state.state'], running['state.reason']], [1, 1]);
    assert.ok(num(running, 'cpu.time') > 0);
    assert.is(num(running, 'cpu.time'), num(running, 'cpu.user') + num(running, 'cpu.system'));
    assert.is(running['balloon.current'], 65536, 'query-balloon: the guest holds all of its memory');
    assert.ok(num(running, 'balloon.rss') > 1024, `rss ${running['balloon.rss']} KiB`);
    assert.equal([running['vcpu.current'], running['vcpu.maximum'], running['vcpu.0.state']], [1, 2, 1]);
    assert.ok(num(running, 'vcpu.0.time') > 0, `vcpu.0.time ${running['vcpu.0.time']}`);
    assert.is(running['vcpu.1.state'], undefined, 'vCPU 1 is not online');
    // a user interface has no host device: counted, no name or counters
    assert.is(running['net.count'], 1);
    assert.is(running['net.0.name'], undefined);
    assert.equal(
      Object.keys(running).filter((k) => k.startsWith('block.')),
      [
        'block.count',
        'block.0.name',
        'block.0.path',
        'block.0.rd.reqs',
        'block.0.rd.bytes',
        'block.0.rd.times',
        'block.0.wr.reqs',
        'block.0.wr.bytes',
        'block.0.wr.times',
        'block.0.fl.reqs',
        'block.0.fl.times',
        'block.0.allocation',
        'block.0.capacity',
        'block.0.physical',
      ],
    );
    assert.equal([running['block.0.capacity'], running['block.0.physical']], [16 * MiB, 16 * MiB]);
    const info = await getDomainInfo(conn, a.uuid);
    assert.ok(info.cpuTimeNs >= num(running, 'cpu.time'), `getInfo ${info.cpuTimeNs} ns`);

    // A read-only connection reads stats too, every domain by name when none is named.
    const ro = await open('qemu:///session', { env: { ...process.env, TSVIRT_ROOT: root }, readonly: true });
    try {
      const records = await getAllDomainStats(ro, { groups: ['vcpu', 'state'] });
      assert.equal(
        records.map((r) => [r.domain.name, r.domain.id > 0]),
        [
          ['stats-a', true],
          ['stats-b', false],
        ],
      );
      // groups come in libvirt's order whatever the order asked
      assert.equal(Object.keys(byName(records, 'stats-b')), [
        'state.state',
        'state.reason',
        'vcpu.current',
        'vcpu.maximum',
      ]);
    } finally {
      await ro.close();
    }

    // Filters: list flags, states, and a given list kept in its order, unknown uuids skipped.
    const names = (records: DomainStatsRecord[]): string[] => records.map((r) => r.domain.name);
    assert.equal(names(await getAllDomainStats(conn, { groups: ['state'], flags: { active: true } })), ['stats-a']);
    assert.equal(names(await getAllDomainStats(conn, { groups: ['state'], flags: { inactive: true } })), ['stats-b']);
    assert.equal(names(await getAllDomainStats(conn, { groups: ['state'], states: ['shutoff'] })), ['stats-b']);
    assert.equal(names(await getAllDomainStats(conn, { groups: ['state'], states: ['paused'] })), []);
    assert.equal(
      names(
        await getAllDomainStats(conn, {
          groups: ['state'],
          uuids: [b.uuid, '00000000-0000-4000-8000-000000000001', a.uuid],
        }),
      ),
      ['stats-b', 'stats-a'],
    );
    assert.equal(
      names(await getAllDomainStats(conn, { groups: ['state'], uuids: [b.uuid, a.uuid], flags: { active: true } })),
      ['stats-a'],
    );

    await suspendDomain(conn, a.uuid);
    const paused = await getAllDomainStats(conn, { groups: ['state', 'cpu-total'], states: ['paused', 'other'] });
    assert.equal(names(paused), ['stats-a']);
    assert.equal([paused[0]!.params['state.state'], paused[0]!.params['state.reason']], [3, 1]);
    assert.ok(num(paused[0]!.params, 'cpu.time') > 0, 'a paused QEMU still has its CPU time');

    await destroyDomain(conn, a.uuid);
    const stopped = byName(await getAllDomainStats(conn, { uuids: [a.uuid] }), 'stats-a');
    assert.equal([stopped['state.state'], stopped['state.reason'], stopped['cpu.time']], [5, 2, undefined]);
  }));

test('the test guest reads its virtio disk: block read counters, CPU time growing while it runs', () =>
  withDaemon(async (root, conn) => {
    const disk = join(root, 'marker.raw');
    markerDisk(disk, 'hello');
    const serialLog = join(root, 'serial.log');
    const serial = (): string => serialText(serialLog);
    const devices = `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>`;
    const dom = await createDomainXML(conn, guestXml({ name: 'stats-guest', serialLog, devices }));
    const stats = async (): Promise<DomainStatsRecord['params']> =>
      byName(await getAllDomainStats(conn, { uuids: [dom.uuid] }), 'stats-guest');
    const early = await stats();
    await waitFor(() => serial().includes('TSVIRT-DISK-MARKER hello'), 60_000, 'the guest to read its disk marker');
    const later = await stats();
    assert.ok(num(later, 'block.0.rd.reqs') > 0, `rd.reqs ${later['block.0.rd.reqs']}`);
    assert.ok(num(later, 'block.0.rd.bytes') >= 512, `rd.bytes ${later['block.0.rd.bytes']}`);
    assert.ok(num(later, 'block.0.rd.times') > 0);
    assert.is(later['block.0.wr.reqs'], 0, 'the guest only reads');
    assert.is(later['block.0.capacity'], 1 * MiB);
    assert.ok(num(later, 'cpu.time') > num(early, 'cpu.time'), `${later['cpu.time']} > ${early['cpu.time']}`);
    assert.ok(num(later, 'vcpu.0.time') > num(early, 'vcpu.0.time'));
    // and it keeps growing while the guest runs
    await waitFor(async () => num(await stats(), 'cpu.time') > num(later, 'cpu.time'), 30_000, 'cpu.time to grow');
    process.stdout.write(
      `  guest read ${later['block.0.rd.reqs']} requests / ${later['block.0.rd.bytes']} bytes; cpu.time ${early['cpu.time']} -> ${later['cpu.time']} ns\n`,
    );
    await destroyDomain(conn, dom.uuid);
  }));

test.run();
