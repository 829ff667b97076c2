/** `<channel>`: virtio-serial ports (the guest agent's among them) backed by a unix socket or a pty. */
import type { ChannelDef, ChardevSource, DomainDef } from '../domain-def.js';
import type { XmlElement } from '../xml-parse.js';
import { unsupported, xmlDetail } from '../conf-error.js';
import { insertController } from '../device-address.js';
import { attr, childElement, onlyValues, optUint, refuse, type XmlWriter } from '../xml-util.js';

export function parseChannel(el: XmlElement): ChannelDef {
  const target = childElement(el, 'target');
  // guestfwd (a guest TCP port forwarded by slirp) and xen need backends this driver does not build.
  const targetType = onlyValues(attr(target, 'type') ?? '', ['virtio'] as const, '<channel> <target type>');
  for (const a of ['address', 'port']) {
    const v = attr(target, a);
    if (v !== undefined) refuse(`<channel> <target type='virtio'> attribute ${a}`, v);
  }
  const type = onlyValues(attr(el, 'type') ?? '', ['unix', 'pty'] as const, '<channel type>');
  const protocol = childElement(el, 'protocol');
  if (protocol) refuse('<channel> element', 'protocol');
  const ch: ChannelDef = { type, target: { type: targetType } };
  const name = attr(target, 'name');
  if (name !== undefined) ch.target.name = name;
  // <target state> is what the guest side last did (live XML only): nothing to configure.
  const s = childElement(el, 'source');
  if (s) {
    const source: ChardevSource = {};
    const mode = attr(s, 'mode') as ChardevSource['mode'];
    if (mode !== undefined) source.mode = mode;
    const path = attr(s, 'path');
    if (path !== undefined) source.path = path;
    for (const a of ['host', 'service']) {
      const v = attr(s, a);
      if (v !== undefined) refuse(`<channel type='${type}'> <source> attribute ${a}`, v);
    }
    ch.source = source;
  }
  const alias = attr(childElement(el, 'alias'), 'name');
  if (alias !== undefined) ch.alias = alias;
  const a = childElement(el, 'address');
  if (a) {
    const atype = attr(a, 'type') ?? '';
    if (atype !== 'virtio-serial') refuse('<channel> <address type>', atype);
    ch.address = {
      type: 'virtio-serial',
      controller: optUint(a, 'controller', 'channel address controller') ?? 0,
      bus: optUint(a, 'bus', 'channel address bus') ?? 0,
      port: optUint(a, 'port', 'channel address port') ?? 0,
    };
  }
  return ch;
}

export function formatChannel(w: XmlWriter, ch: ChannelDef, inactive: boolean): void {
  w.open('channel', [['type', ch.type]]);
  const s = ch.source;
  // A pty's path is chosen when QEMU starts: runtime state, not configuration.
  if (s && !(ch.type === 'pty' && inactive) && (s.mode !== undefined || s.path !== undefined)) {
    w.empty('source', [
      ['mode', s.mode],
      ['path', s.path],
    ]);
  }
  w.empty('target', [
    ['type', ch.target.type],
    ['name', ch.target.name],
  ]);
  if (ch.alias !== undefined) w.empty('alias', [['name', ch.alias]]);
  const a = ch.address;
  if (a) {
    w.empty('address', [
      ['type', a.type],
      ['controller', a.controller],
      ['bus', a.bus],
      ['port', a.port],
    ]);
  }
  w.close('channel');
}

/**
 * libvirt's defaults: a unix channel without a path listens on one the driver makes up at
 * start; every channel gets the next free port (from 1: port 0 is the virtio console's) of
 * virtio-serial controller 0, and a controller it names but the XML lacks is added.
 */
export function postParseChannels(def: DomainDef): void {
  const channels = def.devices.channels;
  for (const ch of channels) {
    if (ch.type !== 'unix') continue;
    ch.source ??= {};
    if (ch.source.path === undefined) ch.source.mode = 'bind';
    else ch.source.mode ??= 'connect';
  }
  const used = new Set(channels.flatMap((c) => (c.address ? [`${c.address.controller}:${c.address.port}`] : [])));
  let next = 1;
  for (const ch of channels) {
    if (ch.address) continue;
    while (used.has(`0:${next}`)) next++;
    ch.address = { type: 'virtio-serial', controller: 0, bus: 0, port: next };
    used.add(`0:${next}`);
  }
  const ctrls = def.devices.controllers;
  for (const ch of channels) {
    const index = ch.address?.controller ?? 0;
    if (!ctrls.some((c) => c.type === 'virtio-serial' && c.index === index)) {
      insertController(ctrls, { type: 'virtio-serial', index });
    }
  }
}

/** A made-up socket path is `<dir>/<target name>`: the name must be one plain file name. */
const FILE_NAME = /^(?!\.\.?$)[^/\0]+$/;

export function validateChannels(def: DomainDef): void {
  const names = new Set<string>();
  const ports = new Set<string>();
  for (const ch of def.devices.channels) {
    const name = ch.target.name;
    if (name !== undefined) {
      if (names.has(name)) throw xmlDetail(`channel target name '${name}' is used by two channels`);
      names.add(name);
    }
    if (ch.type === 'unix' && ch.source?.path === undefined) {
      if (name === undefined) throw xmlDetail("<channel type='unix'> without <source path> needs a <target name>");
      if (!FILE_NAME.test(name)) throw xmlDetail(`channel target name '${name}' cannot name a socket file`);
    }
    const a = ch.address;
    if (a) {
      // QEMU keeps nr=0 of every virtio-serial bus for a virtconsole.
      if (a.port === 0)
        throw unsupported('unsupported configuration: virtio-serial port 0 is reserved for the console');
      if (a.bus !== 0) throw xmlDetail(`virtio-serial bus '${a.bus}' does not exist: each controller has bus 0 only`);
      const key = `${a.controller}:${a.port}`;
      if (ports.has(key)) {
        throw xmlDetail(`virtio-serial port '${a.port}' of controller '${a.controller}' is used by two channels`);
      }
      ports.add(key);
    }
  }
}
