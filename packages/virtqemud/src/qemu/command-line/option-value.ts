/** Building QEMU option strings: the one comma-escaping rule, keyval lists and JSON-form options. */

/**
 * A value for one `key=value` item of a comma-separated QEMU option. QEMU reads `,,` as a
 * literal comma, so doubling every comma keeps a name or path from ending its item and
 * starting another (`/tmp/a,file=/etc/shadow` must stay one path, not become two options).
 * Every value that goes into a keyval option passes through here.
 */
export function qemuOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** One item of a keyval option; `undefined` items are left out so callers can list optional ones inline. */
export type OptionItem = readonly [key: string, value: string | number | boolean | undefined];

function itemValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return qemuOptionValue(String(value));
}

/**
 * `head,key=value,...` with every value escaped. `head` is the implied first value
 * (a driver or backend name); it comes from a fixed table here, never from the XML,
 * because QEMU would read a `head` containing `=` as a key.
 */
export function keyval(head: string | undefined, items: readonly OptionItem[]): string {
  const parts = head === undefined ? [] : [head];
  for (const [key, value] of items) {
    if (value !== undefined) parts.push(`${key}=${itemValue(value)}`);
  }
  return parts.join(',');
}

/**
 * The JSON form QEMU accepts for `-blockdev`, `-object` and `-device`: nothing to escape,
 * which is why libvirt prefers it wherever a value comes from the user. Undefined members
 * are dropped by JSON.stringify.
 */
export function jsonOption(props: Record<string, unknown>): string {
  return JSON.stringify(props);
}

/** Names QEMU takes as the bare first item of an option (machine type, CPU model, VNC host). */
const BARE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9._:+-]*$/;

/**
 * True when `value` can stand where QEMU parses no escapes or reads `=` as a key: `-cpu`
 * splits its argument on every comma with no `,,` rule, so such values are checked
 * rather than escaped.
 */
export function isBareToken(value: string): boolean {
  return BARE_TOKEN.test(value);
}

/** `0x3`, or `0x1.0x2` for a non-zero function, as QEMU's `addr=` property reads it. */
export function pciAddr(slot: number, fn: number): string {
  return fn === 0 ? `0x${slot.toString(16)}` : `0x${slot.toString(16)}.0x${fn.toString(16)}`;
}
