/** The small device families: input, watchdog, memory balloon and random number generator. */
import type { DomainDef } from '../../conf/domain-def.js';
import { jsonOption, keyval } from './option-value.js';
import { pciProps } from './device-props.js';
import { usbBus } from './controllers.js';
import { cannotExpress } from './runtime-info.js';

const USB_INPUT = { mouse: 'usb-mouse', tablet: 'usb-tablet', keyboard: 'usb-kbd' } as const;
const VIRTIO_INPUT = {
  mouse: 'virtio-mouse-pci',
  tablet: 'virtio-tablet-pci',
  keyboard: 'virtio-keyboard-pci',
} as const;

export function inputArgs(def: DomainDef): string[] {
  const args: string[] = [];
  def.devices.inputs.forEach((input, i) => {
    const id = input.alias ?? `input${i}`;
    switch (input.bus ?? 'ps2') {
      case 'ps2':
        // The i8042 PS/2 mouse and keyboard are part of every x86 machine.
        if (input.type === 'tablet') throw cannotExpress("<input type='tablet' bus='ps2'>");
        return;
      case 'usb': {
        const bus = usbBus(def);
        if (bus === undefined) throw cannotExpress(`USB ${input.type} without a USB controller`);
        args.push(
          '-device',
          keyval(USB_INPUT[input.type], [
            ['id', id],
            ['bus', bus],
          ]),
        );
        return;
      }
      case 'virtio':
        args.push('-device', keyval(VIRTIO_INPUT[input.type], [['id', id], ...pciProps(def, input, `input ${i}`)]));
        return;
      default:
        throw cannotExpress(`<input bus> '${input.bus ?? ''}'`);
    }
  });
  return args;
}

/** QEMU's -watchdog-action words; `dump` pauses, as in libvirt, so the driver can take the dump itself. */
const WATCHDOG_ACTION: Record<string, string> = {
  reset: 'reset',
  shutdown: 'shutdown',
  poweroff: 'poweroff',
  pause: 'pause',
  none: 'none',
  dump: 'pause',
  'inject-nmi': 'inject-nmi',
};

export function watchdogArgs(def: DomainDef): string[] {
  const args: string[] = [];
  def.devices.watchdogs.forEach((w, i) => {
    const id = w.alias ?? `watchdog${i}`;
    switch (w.model) {
      case 'i6300esb':
        args.push('-device', keyval('i6300esb', [['id', id], ...pciProps(def, w, 'watchdog')]));
        break;
      case 'ib700':
        args.push('-device', keyval('ib700', [['id', id]]));
        break;
      case 'itco':
        // q35's LPC bridge has the iTCO timer built in; it only has to be allowed to reboot.
        args.push('-global', 'ICH9-LPC.noreboot=off');
        break;
      default:
        throw cannotExpress(`<watchdog model> '${w.model}'`);
    }
    const action = WATCHDOG_ACTION[w.action ?? 'reset'];
    if (action === undefined) throw cannotExpress(`<watchdog action> '${w.action ?? ''}'`);
    args.push('-watchdog-action', action);
  });
  return args;
}

/** The balloon; its stats period and a currentMemory below memory are set by the driver over QMP once QEMU runs. */
export function memballoonArgs(def: DomainDef): string[] {
  const mb = def.devices.memballoon;
  if (!mb || mb.model === 'none') return [];
  if (mb.model !== 'virtio') throw cannotExpress(`<memballoon model> '${mb.model}'`);
  return [
    '-device',
    keyval('virtio-balloon-pci', [
      ['id', mb.alias ?? 'balloon0'],
      ['deflate-on-oom', mb.autodeflate === undefined ? undefined : mb.autodeflate === 'on'],
      ...pciProps(def, mb, 'memballoon'),
    ]),
  ];
}

export function rngArgs(def: DomainDef): string[] {
  const args: string[] = [];
  def.devices.rngs.forEach((rng, i) => {
    if (rng.model !== 'virtio') throw cannotExpress(`<rng model> '${rng.model}'`);
    const backend = `objrng${i}`;
    args.push('-object', jsonOption({ 'qom-type': 'rng-random', id: backend, filename: rng.backend.path }));
    args.push(
      '-device',
      keyval('virtio-rng-pci', [
        ['rng', backend],
        ['id', rng.alias ?? `rng${i}`],
        ['max-bytes', rng.rate?.bytes],
        // The XML's period defaults to one second; QEMU's own default is 65536 ms, so it is always given.
        ['period', rng.rate ? (rng.rate.period ?? 1000) : undefined],
        ...pciProps(def, rng, `rng ${i}`),
      ]),
    );
  });
  return args;
}
