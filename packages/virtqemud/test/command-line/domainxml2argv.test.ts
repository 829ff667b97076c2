/** Golden tests for the QEMU command line: fixtures NAME.xml → NAME.args under a fixed fake runtime, expected failures, escaping. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { buildQemuCommandLine, keyval, qemuOptionValue } from '../../src/qemu/command-line/index.js';
import { fakeRuntime, formatArgs, listFixtures, loadDef, readFixture } from './fixtures.js';

function expectVirError(fn: () => unknown, code: ErrorCode, fragment: string): VirError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, VirError);
    const e = err as VirError;
    assert.is(e.codeName, new VirError(code, 0, '').codeName, `code for: ${e.message}`);
    assert.is(e.domain, ErrorDomain.QEMU, `domain for: ${e.message}`);
    assert.ok(e.message.includes(fragment), `message '${e.message}' should include '${fragment}'`);
    return e;
  }
  assert.unreachable('expected a VirError');
  throw new Error('unreachable');
}

function argvOf(name: string): string[] {
  const def = loadDef(`${name}.xml`);
  return buildQemuCommandLine(def, fakeRuntime(name, def)).args;
}

// ---- xml → args ----------------------------------------------------------------

const GOOD = [
  'channels-sound',
  'chardevs',
  'comma-escaping',
  'disk-network-nbd',
  'disk-network-protocols',
  'disks',
  'hostdev-pci',
  'hyperv-clock',
  'kernel-boot-tcg',
  'minimal-kvm',
  'misc-devices',
  'nics',
  'pc-pci-bridge',
  'q35-addressed',
  'q35-auto',
  'q35-bridges',
  'secure-boot-q35',
  'spice-autoport',
  'sysinfo-smbios',
  'topology',
  'tpm-emulator',
  'tpm-passthrough',
  'uefi-pflash',
  'vnc-autoport',
  'vnc-listen',
];

test('every fixture is in the table and has its .args', () => {
  assert.equal(listFixtures('', '.xml'), GOOD);
  assert.equal(listFixtures('', '.args'), GOOD);
});

for (const name of GOOD) {
  test(`xml2argv ${name}`, () => {
    const def = loadDef(`${name}.xml`);
    const { binary, args } = buildQemuCommandLine(def, fakeRuntime(name, def));
    assert.fixture(formatArgs(binary, args), readFixture(`${name}.args`));
  });
}

// ---- expected failures ---------------------------------------------------------

const INVALID: Array<[name: string, code: ErrorCode, fragment: string]> = [
  ['cpu-host-model', ErrorCode.CONFIG_UNSUPPORTED, "<cpu mode='host-model'>"],
  ['cpu-passthrough-tcg', ErrorCode.CONFIG_UNSUPPORTED, "<cpu mode='host-passthrough'> needs KVM"],
  ['disk-io-native-cached', ErrorCode.CONFIG_UNSUPPORTED, "<driver io='native'> on disk 'vda'"],
  ['disk-network-io-native', ErrorCode.CONFIG_UNSUPPORTED, "<driver io='native'> on disk 'vda': only local files"],
  ['loader-pflash', ErrorCode.CONFIG_UNSUPPORTED, "<loader readonly='yes' type='pflash'> without an <nvram> path"],
  ['spice-tls-port', ErrorCode.CONFIG_UNSUPPORTED, "SPICE TLS port '5902'"],
  ['video-two-vga', ErrorCode.CONFIG_UNSUPPORTED, "secondary <video> <model type='vga'>"],
  ['vnc-listen-injection', ErrorCode.CONFIG_UNSUPPORTED, "VNC listen address '127.0.0.1,websocket=5700'"],
  ['vnc-port-below-5900', ErrorCode.CONFIG_UNSUPPORTED, "VNC port '5000' below 5900"],
];

test('every invalid/ fixture is in the table', () => {
  assert.equal(listFixtures('invalid/', '.xml'), INVALID.map(([n]) => n).sort());
});

for (const [name, code, fragment] of INVALID) {
  test(`invalid ${name}`, () => {
    const def = loadDef(`invalid/${name}.xml`);
    expectVirError(() => buildQemuCommandLine(def, fakeRuntime(name, def)), code, fragment);
  });
}

// ---- values the schema already stops, refused here too ---------------------------

test('a CPU model or machine type with a comma is refused, not escaped (QEMU parses them bare)', () => {
  const cpu = loadDef('topology.xml');
  if (cpu.cpu?.model) cpu.cpu.model.name = 'qemu64,+vmx';
  expectVirError(() => buildQemuCommandLine(cpu, fakeRuntime('x', cpu)), ErrorCode.CONFIG_UNSUPPORTED, "'qemu64,+vmx'");
  const machine = loadDef('minimal-kvm.xml');
  machine.os.machine = 'pc,accel=tcg';
  expectVirError(
    () => buildQemuCommandLine(machine, fakeRuntime('x', machine)),
    ErrorCode.CONFIG_UNSUPPORTED,
    "machine type 'pc,accel=tcg'",
  );
});

test("type 'qemu' with accel kvm is refused", () => {
  const def = loadDef('kernel-boot-tcg.xml');
  expectVirError(
    () => buildQemuCommandLine(def, { ...fakeRuntime('x', def), accel: 'kvm' }),
    ErrorCode.CONFIG_UNSUPPORTED,
    "domain type 'qemu' run with accelerator 'kvm'",
  );
});

// ---- runtime info the driver forgot ----------------------------------------------

test('missing tap, volume path or VNC port is an internal error naming what is missing', () => {
  const nics = loadDef('nics.xml');
  expectVirError(
    () => buildQemuCommandLine(nics, { ...fakeRuntime('nics', nics), taps: {} }),
    ErrorCode.INTERNAL_ERROR,
    "no tap device for <interface type='network'> with MAC '52:54:00:00:00:02'",
  );
  const disks = loadDef('disks.xml');
  expectVirError(
    () => buildQemuCommandLine(disks, { ...fakeRuntime('disks', disks), volumePaths: {} }),
    ErrorCode.INTERNAL_ERROR,
    "no resolved path for volume disk 'sdb'",
  );
  const vnc = loadDef('vnc-autoport.xml');
  const { vncPort: _unused, ...noPort } = fakeRuntime('vnc', vnc);
  expectVirError(() => buildQemuCommandLine(vnc, noPort), ErrorCode.INTERNAL_ERROR, 'no VNC port chosen');
});

test('a block-backed volume gets the host_device protocol driver', () => {
  const def = loadDef('disks.xml');
  const runtime = {
    ...fakeRuntime('disks', def),
    volumePaths: { sdb: { path: '/dev/vg0/extra', type: 'block' as const } },
  };
  const args = buildQemuCommandLine(def, runtime).args;
  assert.ok(
    args.includes(
      '{"driver":"host_device","filename":"/dev/vg0/extra","node-name":"libvirt-2-storage","auto-read-only":true}',
    ),
  );
});

test('the binary: <emulator> when given, else the system emulator for the architecture', () => {
  const def = loadDef('minimal-kvm.xml');
  assert.is(buildQemuCommandLine(def, fakeRuntime('x', def)).binary, 'qemu-system-x86_64');
  def.os.arch = 'i686';
  assert.is(buildQemuCommandLine(def, fakeRuntime('x', def)).binary, 'qemu-system-i386');
  def.devices.emulator = '/opt/qemu/bin/qemu-system-x86_64';
  assert.is(buildQemuCommandLine(def, fakeRuntime('x', def)).binary, '/opt/qemu/bin/qemu-system-x86_64');
});

// ---- escaping ----------------------------------------------------------------------

test('qemuOptionValue doubles every comma and nothing else', () => {
  assert.is(qemuOptionValue('plain'), 'plain');
  assert.is(qemuOptionValue('a,b'), 'a,,b');
  assert.is(qemuOptionValue(',,'), ',,,,');
  assert.is(qemuOptionValue('k=v'), 'k=v');
  assert.is(
    keyval('file', [
      ['id', 'c'],
      ['path', '/x,y'],
      ['append', true],
      ['skip', undefined],
    ]),
    'file,id=c,path=/x,,y,append=on',
  );
});

/** Splits a QemuOpts string the way QEMU does: `,,` is a literal comma, a lone comma ends an item. */
function splitQemuOpts(value: string): string[] {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === ',' && value[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (value[i] === ',') {
      items.push(cur);
      cur = '';
    } else cur += value[i];
  }
  items.push(cur);
  return items;
}

test('commas in the name and paths cannot inject options', () => {
  const args = argvOf('comma-escaping');
  const after = (flag: string, nth = 0): string => {
    const positions = args.flatMap((a, i) => (a === flag ? [i] : []));
    return args[(positions[nth] ?? -2) + 1] ?? '';
  };
  assert.equal(splitQemuOpts(after('-name')), ['guest=evil,debug-threads=off,process=pwned', 'debug-threads=on']);
  // The monitor is the first -chardev; the serial file and socket follow.
  assert.equal(splitQemuOpts(after('-chardev', 1)), ['file', 'id=charserial0', 'path=/var/log/x,mux=on,append=off']);
  assert.equal(splitQemuOpts(after('-chardev', 2)), [
    'socket',
    'id=charserial1',
    'path=/run/a,server=off.sock',
    'server=on',
    'wait=off',
  ]);
  // JSON form: the path is one JSON string whatever it holds.
  const storage = JSON.parse(after('-blockdev')) as Record<string, unknown>;
  assert.is(storage.filename, '/tmp/a,file=/etc/shadow');
  assert.is(Object.keys(storage).includes('file'), false);
  // -kernel and -append take their argument whole.
  assert.is(after('-kernel'), '/boot/vmlinuz,initrd=x');
  assert.is(after('-append'), 'console=ttyS0,115200n8 quiet');
});

test.run();
