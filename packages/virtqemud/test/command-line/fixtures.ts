/** Shared by the argv tests: fixture reading and the fixed fake runtime info each fixture is built with. */
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DomainDef } from '../../src/conf/domain-def.js';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';
import type { QemuRuntimeInfo } from '../../src/qemu/command-line/index.js';

export const FIXTURES = new URL('../../../test/fixtures/domainxml2argv/', import.meta.url);

/** Whether QEMU may use kvm here: the argv tests run kvm fixtures under TCG without it. */
export const HAVE_KVM = ((): boolean => {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return true;
  } catch {
    return false;
  }
})();

export const readFixture = (rel: string): string => readFileSync(new URL(rel, FIXTURES), 'utf8');

/** Fixture names (without `.ext`) in `dir`, sorted. */
export function listFixtures(dir: string, ext: string): string[] {
  return readdirSync(fileURLToPath(new URL(dir, FIXTURES)))
    .filter((f) => f.endsWith(ext))
    .map((f) => f.slice(0, -ext.length))
    .sort();
}

/** Fixed generators so that fixtures without a MAC or UUID stay byte-stable. */
export const DETERMINISTIC = {
  generateUuid: () => '00000000-0000-4000-8000-000000000001',
  generateMacTail: () => new Uint8Array([1, 2, 3]),
};

export function loadDef(rel: string): DomainDef {
  return domainDefFromXml(readFixture(rel), DETERMINISTIC);
}

/**
 * What a driver would decide for fixture `name`: kvm for type kvm, files under
 * /run/tsvirt/test (swtpm's socket too), VNC port 5901, SPICE port 5902, tap `vnetN` for the Nth NIC, and volumes
 * under /var/lib/tsvirt/pools/POOL/VOLUME.
 */
export function fakeRuntime(name: string, def: DomainDef): QemuRuntimeInfo {
  const taps: QemuRuntimeInfo['taps'] = {};
  def.devices.nets.forEach((n, i) => {
    if (n.type !== 'user' && n.mac !== undefined) taps[n.mac] = { ifname: `vnet${i}` };
  });
  const volumePaths: QemuRuntimeInfo['volumePaths'] = {};
  for (const d of def.devices.disks) {
    if (d.type === 'volume' && d.source?.pool !== undefined && d.source.volume !== undefined) {
      volumePaths[d.target.dev] = `/var/lib/tsvirt/pools/${d.source.pool}/${d.source.volume}`;
    }
  }
  return {
    accel: def.type === 'kvm' ? 'kvm' : 'tcg',
    monitorSocket: `/run/tsvirt/test/${name}.monitor`,
    pidFile: `/run/tsvirt/test/${name}.pid`,
    vncPort: 5901,
    spicePort: 5902,
    taps,
    volumePaths,
    // A fixed start time, so that <clock offset='variable'> gives a fixed -rtc base.
    now: Date.UTC(2026, 0, 2, 3, 4, 5),
    ...(def.devices.tpms.some((t) => t.backend.type === 'emulator')
      ? { tpmSocket: `/run/tsvirt/test/${name}.swtpm.sock` }
      : {}),
  };
}

/** The `.args` layout: the binary, then one argument per line. */
export function formatArgs(binary: string, args: readonly string[]): string {
  return [binary, ...args].join('\n') + '\n';
}
