/** The guest clock: `-rtc` (offset, drift fix, clock source), the PIT's lost-tick policy, and HPET on the machine. */
import type { DomainDef, TimerDef } from '../../conf/domain-def.js';
import { keyval, type OptionItem } from './option-value.js';
import { cannotExpress } from './runtime-info.js';

const RTC_CLOCK: Record<NonNullable<TimerDef['track']>, string | undefined> = {
  boot: undefined,
  guest: 'vm',
  wall: 'host',
  realtime: 'rt',
};

/** `2026-01-02T03:04:05`: QEMU's `-rtc base=` form of a fixed start time. */
function rtcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/**
 * `-rtc base=`: utc, localtime, or for offset 'variable' the time the guest starts at:
 * now plus the adjustment, counted from UTC or from the host's local time (libvirt's rule).
 */
function rtcBase(def: DomainDef, now: number): string {
  const c = def.clock;
  if (!c || c.offset === 'utc' || c.offset === 'localtime') return c?.offset ?? 'utc';
  let seconds = typeof c.adjustment === 'number' ? c.adjustment : 0;
  if (c.basis === 'localtime') seconds -= new Date(now).getTimezoneOffset() * 60;
  return rtcDate(now + seconds * 1000);
}

export function rtcArgs(def: DomainDef, now: number): string[] {
  const rtc = def.clock?.timers.find((t) => t.name === 'rtc');
  const items: OptionItem[] = [['base', rtcBase(def, now)]];
  if (rtc?.track !== undefined) {
    const clock = RTC_CLOCK[rtc.track];
    if (clock === undefined) throw cannotExpress(`<timer name='rtc' track='${rtc.track}'>`);
    items.push(['clock', clock]);
  }
  // catchup: the guest is given the ticks it missed, faster (slew); delay is QEMU's default.
  if (rtc?.tickpolicy === 'catchup') items.push(['driftfix', 'slew']);
  return ['-rtc', keyval(undefined, items)];
}

/** The in-kernel PIT's policy for ticks the guest missed; catchup is what it does already. */
export function pitArgs(def: DomainDef): string[] {
  const pit = def.clock?.timers.find((t) => t.name === 'pit');
  if (pit?.tickpolicy === 'delay' || pit?.tickpolicy === 'discard') {
    return ['-global', `kvm-pit.lost_tick_policy=${pit.tickpolicy}`];
  }
  return [];
}

/** `hpet=on|off` on -machine (QEMU 5.2+ has it as a machine property; -no-hpet is deprecated). */
export function hpetMachineProp(def: DomainDef): OptionItem {
  const hpet = def.clock?.timers.find((t) => t.name === 'hpet');
  return ['hpet', hpet?.present];
}
