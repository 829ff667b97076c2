/**
 * The PCI buses of a domain and what may plug into each, as libvirt's domain_addr.c models
 * them: a set of buses indexed like the `<controller type='pci'>` that provides them, slot
 * and function bookkeeping, and first-fit search. In a dry run the set grows, adding the
 * controllers (pcie-root-port, pcie-to-pci-bridge, pci-bridge) a device needs.
 */
import type { PciAddress } from './domain-def.js';
import { unsupported, xmlDetail } from './conf-error.js';

/** PCI controller models this driver knows. */
export const PCI_MODELS = [
  'pci-root',
  'pcie-root',
  'pci-bridge',
  'dmi-to-pci-bridge',
  'pcie-to-pci-bridge',
  'pcie-root-port',
] as const;
export type PciModel = (typeof PCI_MODELS)[number];

/** What a device (or a controller's upstream side) needs from the bus it plugs into. */
export type ConnectType = 'pci' | 'pcie' | 'pcie-root-port' | 'pci-bridge' | 'pcie-to-pci-bridge' | 'dmi-to-pci-bridge';

export interface Connect {
  type: ConnectType;
  /** Endpoints: only buses that allow automatic placement take them when no address is given. */
  autoassign: boolean;
  /** pcie-root-ports: several may share a slot as functions 0-7. */
  aggregate?: boolean;
}

interface BusRule {
  accepts: readonly ConnectType[];
  autoassign: boolean;
  minSlot: number;
  maxSlot: number;
}

/** Downstream side of each controller model (virDomainPCIAddressBusSetModel). */
const BUS_RULES: Record<PciModel, BusRule> = {
  'pci-root': { accepts: ['pci', 'pci-bridge'], autoassign: true, minSlot: 1, maxSlot: 31 },
  'pci-bridge': { accepts: ['pci', 'pci-bridge'], autoassign: true, minSlot: 1, maxSlot: 31 },
  // Endpoints only where the XML says so: automatic placement goes behind root ports.
  'pcie-root': { accepts: ['pcie', 'pcie-root-port', 'dmi-to-pci-bridge'], autoassign: false, minSlot: 1, maxSlot: 31 },
  'dmi-to-pci-bridge': { accepts: ['pci', 'pci-bridge'], autoassign: false, minSlot: 0, maxSlot: 31 },
  // Slot 0 holds the bridge's own hotplug controller (SHPC).
  'pcie-to-pci-bridge': { accepts: ['pci', 'pci-bridge'], autoassign: true, minSlot: 1, maxSlot: 31 },
  'pcie-root-port': { accepts: ['pcie', 'pcie-to-pci-bridge'], autoassign: true, minSlot: 0, maxSlot: 0 },
};

/** Upstream side of each non-root controller model (virDomainPCIControllerModelToConnectType). */
export function controllerConnect(model: PciModel): Connect | undefined {
  switch (model) {
    case 'pci-root':
    case 'pcie-root':
      return undefined;
    case 'pcie-root-port':
      return { type: 'pcie-root-port', autoassign: false, aggregate: true };
    default:
      return { type: model, autoassign: false };
  }
}

const CONNECT_NAMES: Record<ConnectType, string> = {
  pci: 'standard PCI device',
  pcie: 'PCI Express device',
  'pcie-root-port': 'pcie-root-port',
  'pci-bridge': 'pci-bridge',
  'pcie-to-pci-bridge': 'pcie-to-pci-bridge',
  'dmi-to-pci-bridge': 'dmi-to-pci-bridge',
};

interface Bus {
  model: PciModel;
  accepts: Set<ConnectType>;
  autoassign: boolean;
  minSlot: number;
  maxSlot: number;
  /** Per slot: bitmask of used functions, and whether root ports may stack there. */
  slots: Array<{ functions: number; aggregate: boolean }>;
}

function newBus(model: PciModel): Bus {
  const rule = BUS_RULES[model];
  return {
    model,
    accepts: new Set(rule.accepts),
    autoassign: rule.autoassign,
    minSlot: rule.minSlot,
    maxSlot: rule.maxSlot,
    slots: Array.from({ length: 32 }, () => ({ functions: 0, aggregate: false })),
  };
}

export const pciAddressString = (a: PciAddress): string =>
  `${a.domain.toString(16).padStart(4, '0')}:${a.bus.toString(16).padStart(2, '0')}:${a.slot.toString(16).padStart(2, '0')}.${a.function}`;

export const pciAddress = (bus: number, slot: number, fn = 0): PciAddress => ({
  type: 'pci',
  domain: 0,
  bus,
  slot,
  function: fn,
});

export class PciAddressSet {
  readonly buses: Bus[];
  private readonly owners = new Map<string, string>();

  /** `models[i]` is the model of bus i; a dry run may add buses. */
  constructor(
    models: PciModel[],
    readonly dryRun: boolean,
  ) {
    this.buses = models.map(newBus);
  }

  slotInUse(a: PciAddress): boolean {
    return (this.buses[a.bus]?.slots[a.slot]?.functions ?? 0) !== 0;
  }

  busFullyReserved(i: number): boolean {
    const bus = this.buses[i];
    if (!bus) return true;
    for (let s = bus.minSlot; s <= bus.maxSlot; s++) if (bus.slots[s]?.functions === 0) return false;
    return true;
  }

  private compatible(bus: Bus, dev: Connect, fromConfig: boolean): boolean {
    const accepts = new Set(bus.accepts);
    const types = new Set<ConnectType>([dev.type]);
    if (fromConfig) {
      // An address written in the XML may put a PCI endpoint on a PCIe slot and vice versa.
      if (accepts.has('pci') || accepts.has('pcie')) accepts.add('pci').add('pcie');
      if (dev.type === 'pci-bridge') types.add('pci');
    } else if (dev.autoassign && !bus.autoassign) {
      return false;
    }
    return [...types].some((t) => accepts.has(t));
  }

  private validate(a: PciAddress, dev: Connect, fromConfig: boolean): void {
    const where = pciAddressString(a);
    const fail = (why: string): never => {
      throw fromConfig ? xmlDetail(why) : unsupported(`internal error: ${why}`);
    };
    if (a.domain !== 0) fail(`Invalid PCI address ${where}. Only PCI domain 0 is available`);
    const bus = this.buses[a.bus];
    if (!bus) return fail(`Invalid PCI address ${where}. Only PCI buses up to ${this.buses.length - 1} are available`);
    if (!this.compatible(bus, dev, fromConfig)) {
      fail(
        `The device at PCI address ${where} cannot be plugged into the PCI controller with index='${a.bus}'. It requires a controller that accepts a ${CONNECT_NAMES[dev.type]}.`,
      );
    }
    if (a.slot < bus.minSlot) fail(`Invalid PCI address ${where}. slot must be >= ${bus.minSlot}`);
    if (a.slot > bus.maxSlot) fail(`Invalid PCI address ${where}. slot must be <= ${bus.maxSlot}`);
    if (a.function > 7) fail(`Invalid PCI address ${where}. function must be <= 7`);
  }

  /**
   * Dry run only: adds buses up to `a.bus`, of the kind that gives `dev` a slot. A PCI
   * device in a PCIe-only topology needs a pcie-root-port carrying a pcie-to-pci-bridge,
   * which is one bus more than asked for, so `a.bus` moves on by one.
   */
  private grow(a: PciAddress, dev: Connect): void {
    let add = a.bus - this.buses.length + 1;
    if (add <= 0) return;
    let model: PciModel;
    let needPcieToPciBridge = false;
    if (dev.type === 'pci') {
      model = 'pci-bridge';
      needPcieToPciBridge = !this.buses.some((b) => b.accepts.has('pci-bridge'));
      if (needPcieToPciBridge && add === 1) {
        add++;
        a.bus++;
      }
    } else if (dev.type === 'pcie') {
      model = 'pcie-root-port';
    } else {
      throw unsupported(
        `unsupported configuration: a PCI slot is needed to connect a PCI controller model='${dev.type}', but none is available, and it cannot be automatically added`,
      );
    }
    for (let i = 0; i < add; i++) {
      if (needPcieToPciBridge && i === 0) {
        // This root port is for the bridge alone, not for the spare port added later.
        const port = newBus('pcie-root-port');
        port.accepts = new Set(['pcie-to-pci-bridge']);
        this.buses.push(port);
      } else if (needPcieToPciBridge && i === 1) {
        this.buses.push(newBus('pcie-to-pci-bridge'));
      } else {
        this.buses.push(newBus(model));
      }
    }
  }

  /** Marks `a` used by `what`; `fromConfig` when the address came from the XML. */
  reserve(a: PciAddress, dev: Connect, what: string, fromConfig: boolean): void {
    if (this.dryRun) this.grow(a, dev);
    this.validate(a, dev, fromConfig);
    const key = pciAddressString(a);
    const prev = this.owners.get(key);
    if (prev !== undefined) throw xmlDetail(`PCI address ${key} is used by both ${prev} and ${what}`);
    this.owners.set(key, what);
    const slot = this.buses[a.bus]!.slots[a.slot]!;
    if (slot.functions === 0 && dev.aggregate) slot.aggregate = true;
    slot.functions |= 1 << a.function;
  }

  /** First free place for `dev`, bus by bus, slot by slot (virDomainPCIAddressGetNextAddr). */
  private next(dev: Connect): PciAddress {
    for (let b = 0; b < this.buses.length; b++) {
      const bus = this.buses[b]!;
      if (!this.compatible(bus, dev, false)) continue;
      for (let s = bus.minSlot; s <= bus.maxSlot; s++) {
        const slot = bus.slots[s]!;
        if (slot.functions === 0) return pciAddress(b, s);
        if (dev.aggregate && slot.aggregate) {
          for (let f = 0; f < 8; f++) if ((slot.functions & (1 << f)) === 0) return pciAddress(b, s, f);
        }
      }
    }
    if (this.dryRun) {
      const a = pciAddress(this.buses.length, 0);
      this.grow(a, dev);
      a.slot = this.buses[a.bus]!.minSlot;
      return a;
    }
    throw unsupported('internal error: No more available PCI slots');
  }

  /** Reserves the next free place for `dev` and returns it. */
  reserveNext(dev: Connect, what: string): PciAddress {
    const a = this.next(dev);
    this.reserve(a, dev, what, false);
    return a;
  }
}
