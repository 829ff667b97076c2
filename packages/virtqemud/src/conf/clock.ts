/** `<clock>`: the guest RTC's offset from the host clock and the timer devices' policies. */
import type { ClockDef, TimerDef, TimerName } from './domain-def.js';
import type { XmlElement } from './xml-parse.js';
import { unsupported, xmlDetail } from './conf-error.js';
import { attr, childElement, childElements, onlyValues, refuse, type XmlWriter } from './xml-util.js';

const TIMERS: readonly TimerName[] = ['rtc', 'pit', 'hpet', 'kvmclock', 'hypervclock'];

export function parseClock(el: XmlElement): ClockDef {
  const offset = onlyValues(attr(el, 'offset') ?? '', ['utc', 'localtime', 'variable'] as const, '<clock offset>');
  const clock: ClockDef = { offset, timers: [] };
  const timezone = attr(el, 'timezone');
  if (timezone !== undefined) refuse('<clock> attribute timezone', timezone);
  const adjustment = attr(el, 'adjustment');
  if (adjustment !== undefined) {
    // utc/localtime take only 'reset' (libvirt's rule); variable takes a number of seconds.
    if (offset !== 'variable') {
      if (adjustment !== 'reset') refuse(`<clock offset='${offset}'> attribute adjustment`, adjustment);
      clock.adjustment = 'reset';
    } else {
      const n = Number(adjustment);
      if (!/^[+-]?[0-9]+$/.test(adjustment) || !Number.isSafeInteger(n)) {
        throw xmlDetail(`invalid value '${adjustment}' for <clock adjustment>`);
      }
      clock.adjustment = n;
    }
  }
  const basis = attr(el, 'basis');
  if (basis !== undefined) clock.basis = onlyValues(basis, ['utc', 'localtime'] as const, '<clock basis>');
  for (const t of childElements(el, 'timer')) clock.timers.push(parseTimer(t));
  return clock;
}

function parseTimer(el: XmlElement): TimerDef {
  const name = onlyValues(attr(el, 'name') ?? '', TIMERS, '<timer name>');
  for (const a of ['mode', 'frequency']) {
    const v = attr(el, a);
    if (v !== undefined) refuse(`<timer name='${name}'> attribute ${a}`, v);
  }
  if (childElement(el, 'catchup')) refuse(`<timer name='${name}'> element`, 'catchup');
  const timer: TimerDef = { name };
  const present = attr(el, 'present');
  if (present !== undefined) timer.present = present === 'yes';
  const tickpolicy = attr(el, 'tickpolicy') as TimerDef['tickpolicy'];
  if (tickpolicy !== undefined) timer.tickpolicy = tickpolicy;
  const track = attr(el, 'track') as TimerDef['track'];
  if (track !== undefined) timer.track = track;
  return timer;
}

export function formatClock(w: XmlWriter, c: ClockDef): void {
  const attrs = [
    ['offset', c.offset],
    ['adjustment', c.adjustment],
    ['basis', c.basis],
  ] as const;
  w.block('clock', attrs, (inner) => {
    for (const t of c.timers) {
      inner.empty('timer', [
        ['name', t.name],
        ['present', t.present === undefined ? undefined : t.present ? 'yes' : 'no'],
        ['tickpolicy', t.tickpolicy],
        ['track', t.track],
      ]);
    }
  });
}

/** libvirt's defaults: a variable clock starts from UTC with no adjustment. */
export function postParseClock(c: ClockDef): void {
  if (c.offset === 'variable') {
    c.adjustment ??= 0;
    c.basis ??= 'utc';
  }
}

/**
 * What QEMU can do with each timer, as libvirt's QEMU driver allows it: the RTC catches up
 * (driftfix=slew) or delays, the PIT delays, discards or catches up, and HPET, kvmclock and
 * the Hyper-V clock can only be switched on or off.
 */
export function validateClock(c: ClockDef): void {
  if (c.basis !== undefined && c.offset !== 'variable') {
    throw xmlDetail(`<clock basis> is only for offset 'variable', not '${c.offset}'`);
  }
  const seen = new Set<TimerName>();
  for (const t of c.timers) {
    if (seen.has(t.name)) throw xmlDetail(`<timer name='${t.name}'> given more than once`);
    seen.add(t.name);
    const bad = (what: string, value: string): never => {
      throw unsupported(`unsupported configuration: <timer name='${t.name}'> ${what} '${value}' is not supported`);
    };
    if (t.track !== undefined && t.name !== 'rtc') bad('track', t.track);
    if (t.track === 'boot') bad('track', t.track);
    switch (t.name) {
      case 'rtc':
        if (t.tickpolicy !== undefined && t.tickpolicy !== 'delay' && t.tickpolicy !== 'catchup') {
          bad('tickpolicy', t.tickpolicy);
        }
        if (t.present === false) bad('present', 'no');
        break;
      case 'pit':
        if (t.tickpolicy === 'merge') bad('tickpolicy', t.tickpolicy);
        if (t.present === false) bad('present', 'no');
        break;
      default:
        if (t.tickpolicy !== undefined) bad('tickpolicy', t.tickpolicy);
    }
  }
}
