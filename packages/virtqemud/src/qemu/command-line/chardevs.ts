/** Character devices: the QMP monitor socket, and serial ports with their pty/file/unix/tcp backends. */
import type { ChardevDef, DomainDef } from '../../conf/domain-def.js';
import { keyval, type OptionItem } from './option-value.js';
import { cannotExpress, type QemuRuntimeInfo } from './runtime-info.js';

/** QMP on a unix socket that QEMU listens on; `wait=off` so QEMU starts without waiting for the driver. */
export function monitorArgs(runtime: QemuRuntimeInfo): string[] {
  return [
    '-chardev',
    keyval('socket', [
      ['id', 'charmonitor'],
      ['path', runtime.monitorSocket],
      ['server', true],
      ['wait', false],
    ]),
    '-mon',
    keyval(undefined, [
      ['chardev', 'charmonitor'],
      ['id', 'monitor'],
      ['mode', 'control'],
    ]),
  ];
}

/** The `-chardev` value for one backend. */
export function chardevBackend(dev: ChardevDef, id: string): string {
  const s = dev.source;
  const listen: OptionItem[] =
    s?.mode === 'bind'
      ? [
          ['server', true],
          ['wait', false],
        ]
      : [];
  switch (dev.type) {
    case 'pty':
      return keyval('pty', [['id', id]]);
    case 'file':
      return keyval('file', [
        ['id', id],
        ['path', s?.path],
        ['append', s?.append === undefined ? undefined : s.append === 'on'],
      ]);
    case 'unix':
      return keyval('socket', [['id', id], ['path', s?.path], ...listen]);
    case 'tcp':
      return keyval('socket', [
        ['id', id],
        ['host', s?.host],
        ['port', s?.service],
        ...listen,
        ['telnet', dev.protocol === 'telnet' ? true : undefined],
      ]);
  }
}

export function serialArgs(def: DomainDef): string[] {
  const args: string[] = [];
  const d = def.devices;
  d.serials.forEach((serial, i) => {
    if ((serial.target.type ?? 'isa-serial') !== 'isa-serial') {
      throw cannotExpress(`<serial> <target type> '${serial.target.type ?? ''}'`);
    }
    const id = `charserial${i}`;
    args.push('-chardev', chardevBackend(serial, id));
    args.push(
      '-device',
      keyval('isa-serial', [
        ['chardev', id],
        ['id', serial.alias ?? `serial${i}`],
        ['index', serial.target.port],
      ]),
    );
  });
  for (const con of d.consoles) {
    // A serial console is another view of the serial port with that number: nothing of its own to start.
    const port = con.target.port ?? 0;
    if (con.target.type !== 'serial' || !d.serials.some((s) => s.target.port === port)) {
      throw cannotExpress(
        `<console> <target type='${con.target.type ?? ''}' port='${port}'> without a matching serial port`,
      );
    }
  }
  return args;
}
