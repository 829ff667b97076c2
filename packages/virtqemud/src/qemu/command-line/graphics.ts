/** Display: `-vnc` and `-spice` from <graphics>, `-display none` without graphics, and the video cards. */
import type { DomainDef, GraphicsDef, VideoDef } from '../../conf/domain-def.js';
import { keyval, type OptionItem } from './option-value.js';
import { pciProps } from './device-props.js';
import { cannotExpress, missingRuntime, type QemuRuntimeInfo } from './runtime-info.js';

/** VNC display numbers count from this TCP port. */
const VNC_PORT_BASE = 5900;
/** An IPv4/IPv6 address or a host name: checked, because QEMU reads `-vnc`'s host bare. */
const LISTEN_ADDRESS = /^[A-Za-z0-9.:-]+$/;

function vncArg(g: GraphicsDef, runtime: QemuRuntimeInfo): string {
  if (g.listens.length > 1) throw cannotExpress("<graphics type='vnc'> with more than one <listen>");
  const listen = g.listens[0];
  const extra: OptionItem[] = [
    // The password itself is set by the driver over QMP (set_password), never on the command line.
    ['password', g.passwd !== undefined ? true : undefined],
  ];
  if (listen?.type === 'none') return keyval('none', extra);
  const port = g.autoport ? runtime.vncPort : g.port;
  if (port === undefined) throw missingRuntime('no VNC port chosen for an autoport display');
  if (port < VNC_PORT_BASE) throw cannotExpress(`VNC port '${port}' below ${VNC_PORT_BASE}`);
  // Loopback unless the XML says otherwise: a display open to the network must be asked for.
  const address = listen?.address ?? g.listen ?? '127.0.0.1';
  if (!LISTEN_ADDRESS.test(address)) throw cannotExpress(`VNC listen address '${address}'`);
  const host = address.includes(':') ? `[${address}]` : address;
  return keyval(`${host}:${port - VNC_PORT_BASE}`, extra);
}

/**
 * `-spice` as libvirt writes it without TLS: plain port and address, and ticketing off unless
 * the XML sets a password (which the driver then sets over QMP, like VNC's).
 */
function spiceArg(g: GraphicsDef, runtime: QemuRuntimeInfo): string {
  if (g.listens.length > 1) throw cannotExpress("<graphics type='spice'> with more than one <listen>");
  if (g.tlsPort !== undefined && g.tlsPort !== -1) {
    throw cannotExpress(`SPICE TLS port '${g.tlsPort}' (no spice TLS certificates are configured)`);
  }
  const listen = g.listens[0];
  const ticketing: OptionItem = ['disable-ticketing', g.passwd === undefined ? true : undefined];
  // Spice with neither port nor tls-port fails to start: port 0 is libvirt's "no TCP listener".
  if (listen?.type === 'none') return keyval(undefined, [['port', 0], ticketing, ['seamless-migration', true]]);
  const port = g.autoport ? runtime.spicePort : g.port;
  if (port === undefined || port < 0) throw missingRuntime('no SPICE port chosen for an autoport display');
  const address = listen?.address ?? g.listen ?? '127.0.0.1';
  if (!LISTEN_ADDRESS.test(address)) throw cannotExpress(`SPICE listen address '${address}'`);
  return keyval(undefined, [['port', port], ['addr', address], ticketing, ['seamless-migration', true]]);
}

export function graphicsArgs(def: DomainDef, runtime: QemuRuntimeInfo): string[] {
  const graphics = def.devices.graphics;
  if (graphics.length === 0) return ['-display', 'none'];
  const args: string[] = [];
  for (const g of graphics) {
    if (g.type === 'spice') args.push('-spice', spiceArg(g, runtime));
    else args.push('-vnc', vncArg(g, runtime));
    // -k takes its argument whole; a keymap QEMU does not know makes it fail to start, which is the right answer.
    if (g.keymap !== undefined) args.push('-k', g.keymap);
  }
  return args;
}

/** QEMU device for a video model: the first card is the VGA-compatible one, later ones are not. */
function videoDriver(v: VideoDef, primary: boolean): string {
  const t = v.model.type;
  const primaryDevices: Record<string, string> = {
    vga: 'VGA',
    cirrus: 'cirrus-vga',
    virtio: 'virtio-vga',
    qxl: 'qxl-vga',
    bochs: 'bochs-display',
  };
  const secondaryDevices: Record<string, string> = { virtio: 'virtio-gpu-pci', qxl: 'qxl', bochs: 'bochs-display' };
  const driver = (primary ? primaryDevices : secondaryDevices)[t];
  if (driver === undefined) throw cannotExpress(`${primary ? 'primary' : 'secondary'} <video> <model type='${t}'>`);
  return driver;
}

function videoProps(v: VideoDef): OptionItem[] {
  const m = v.model;
  const mib = (kib: number | undefined): number | undefined => (kib === undefined ? undefined : kib / 1024);
  switch (m.type) {
    case 'vga':
      return [['vgamem_mb', mib(m.vram)]];
    case 'qxl':
      return [
        ['ram_size', m.ram === undefined ? undefined : m.ram * 1024],
        ['vram_size', m.vram === undefined ? undefined : m.vram * 1024],
        ['vgamem_mb', mib(m.vgamem)],
        ['max_outputs', m.heads],
      ];
    case 'virtio':
      return [['max_outputs', m.heads]];
    case 'bochs':
      return [['vgamem', m.vram === undefined ? undefined : `${m.vram}k`]];
    default:
      return [];
  }
}

export function videoArgs(def: DomainDef): string[] {
  const args: string[] = [];
  def.devices.videos.forEach((v, i) => {
    if (v.model.type === 'none') return;
    const what = `video ${i}`;
    args.push(
      '-device',
      keyval(videoDriver(v, i === 0), [['id', v.alias ?? `video${i}`], ...videoProps(v), ...pciProps(def, v, what)]),
    );
  });
  return args;
}
