/**
 * `network.*`: the virtual networks of virtnetworkd (define, create, start, stop, look up,
 * list, describe, autostart, live/config updates, DHCP leases), the network ports that
 * virtqemud creates for its guests' interfaces, and the `network.lifecycle` event. Numbers
 * start at 500 and are append-only. Event numbers, update commands and sections are
 * libvirt's own (virNetworkEventLifecycleType, virNetworkUpdateCommand,
 * virNetworkUpdateSection), spelled as virsh spells them; flags are booleans.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UuidSchema } from './domain.js';
import { defineEvent, defineProcedure } from './procedure.js';

/** virNetworkEventLifecycleType. @since 0.1.0 */
export const NetworkEventType = { DEFINED: 0, UNDEFINED: 1, STARTED: 2, STOPPED: 3 } as const;
export type NetworkEventType = (typeof NetworkEventType)[keyof typeof NetworkEventType];

/**
 * virNetworkUpdateCommand as virsh's `net-update` names it (`add` is virsh's alias of
 * `add-last`); the libvirt number is the value. @since 0.1.0
 */
export const NetworkUpdateCommand = { modify: 1, delete: 2, 'add-last': 3, 'add-first': 4 } as const;
export type NetworkUpdateCommandName = keyof typeof NetworkUpdateCommand;
export const NETWORK_UPDATE_COMMANDS = Object.keys(NetworkUpdateCommand) as NetworkUpdateCommandName[];

/** virNetworkUpdateSection as virsh's `net-update` names it; the libvirt number is the value. @since 0.1.0 */
export const NetworkUpdateSection = {
  bridge: 1,
  domain: 2,
  ip: 3,
  'ip-dhcp-host': 4,
  'ip-dhcp-range': 5,
  forward: 6,
  'forward-interface': 7,
  'forward-pf': 8,
  portgroup: 9,
  'dns-host': 10,
  'dns-txt': 11,
  'dns-srv': 12,
} as const;
export type NetworkUpdateSectionName = keyof typeof NetworkUpdateSection;
export const NETWORK_UPDATE_SECTIONS = Object.keys(NetworkUpdateSection) as NetworkUpdateSectionName[];

/** virIPAddrType, the `type` of a DHCP lease. @since 0.1.0 */
export const IPAddrType = { IPV4: 0, IPV6: 1 } as const;

/** A network or port XML document is at most 1 MiB. */
export const MAX_NETWORK_XML_LENGTH = 1024 * 1024;

/** Network names: what libvirt accepts in size; the driver refuses what cannot be a file name. */
export const NetworkNameSchema = Type.String({ minLength: 1, maxLength: 1024 });

/** A MAC address as libvirt prints it (lower-case, colon-separated). */
export const MacAddressSchema = Type.String({ pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$', maxLength: 17 });

/** What identifies a network to a caller: libvirt's virNetworkPtr (name, uuid). @since 0.1.0 */
export const NetworkRefSchema = Type.Object({ name: Type.String(), uuid: UuidSchema });
export type NetworkRef = Static<typeof NetworkRefSchema>;

/** What identifies a port: libvirt's virNetworkPortPtr (its network's uuid and its own). @since 0.1.0 */
export const NetworkPortRefSchema = Type.Object({ network: UuidSchema, uuid: UuidSchema });
export type NetworkPortRef = Static<typeof NetworkPortRefSchema>;

/** virConnectListAllNetworks' filter flags; an unset pair means "either". @since 0.1.0 */
export const NetworkListFlagsSchema = Type.Object(
  {
    active: Type.Optional(Type.Boolean()),
    inactive: Type.Optional(Type.Boolean()),
    persistent: Type.Optional(Type.Boolean()),
    transient: Type.Optional(Type.Boolean()),
    autostart: Type.Optional(Type.Boolean()),
    noAutostart: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type NetworkListFlags = Static<typeof NetworkListFlagsSchema>;

/** virNetworkDHCPLease: one lease of the network's dnsmasq. @since 0.1.0 */
export const NetworkDHCPLeaseSchema = Type.Object({
  /** The network's bridge. */
  iface: Type.String(),
  /** Seconds since the epoch. */
  expirytime: Type.Integer({ minimum: 0 }),
  /** virIPAddrType: 0 IPv4, 1 IPv6. */
  type: Type.Integer({ minimum: 0, maximum: 1 }),
  mac: Type.Optional(Type.String()),
  /** IPv6 only. */
  iaid: Type.Optional(Type.String()),
  ipaddr: Type.String(),
  prefix: Type.Integer({ minimum: 0, maximum: 128 }),
  hostname: Type.Optional(Type.String()),
  clientid: Type.Optional(Type.String()),
});
export type NetworkDHCPLease = Static<typeof NetworkDHCPLeaseSchema>;

const ByUuid = Type.Object({ uuid: UuidSchema }, { additionalProperties: false });
const PortByUuid = Type.Object({ network: UuidSchema, uuid: UuidSchema }, { additionalProperties: false });
const Empty = Type.Object({}, { additionalProperties: false });
const XmlArg = Type.String({ maxLength: MAX_NETWORK_XML_LENGTH });

/** @since 0.1.0 */
export const networkDefineXML = defineProcedure({
  name: 'network.defineXML',
  number: 500,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network:write',
  summary: 'Define (or redefine, same name and uuid) a persistent network from its XML; saved before the call returns.',
  args: Type.Object({ xml: XmlArg }, { additionalProperties: false }),
  result: NetworkRefSchema,
});

/** @since 0.1.0 */
export const networkCreateXML = defineProcedure({
  name: 'network.createXML',
  number: 501,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network:start',
  summary: 'Create and start a transient network from its XML; it disappears once stopped.',
  args: Type.Object({ xml: XmlArg }, { additionalProperties: false }),
  result: NetworkRefSchema,
});

/** @since 0.1.0 */
export const networkUndefine = defineProcedure({
  name: 'network.undefine',
  number: 502,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network:delete',
  summary: 'Remove the saved config of a network; an active one keeps running as transient.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const networkCreate = defineProcedure({
  name: 'network.create',
  number: 503,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network:start',
  summary: 'Start a defined, inactive network (virNetworkCreate): its bridge, addresses, dnsmasq and firewall rules.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const networkDestroy = defineProcedure({
  name: 'network.destroy',
  number: 504,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network:stop',
  summary: 'Stop an active network and remove what starting it made on the host. A transient network disappears.',
  args: ByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const networkLookupByName = defineProcedure({
  name: 'network.lookupByName',
  number: 505,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:getattr',
  summary: 'The network called `name`.',
  args: Type.Object({ name: NetworkNameSchema }, { additionalProperties: false }),
  result: NetworkRefSchema,
});

/** @since 0.1.0 */
export const networkLookupByUUID = defineProcedure({
  name: 'network.lookupByUUID',
  number: 506,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:getattr',
  summary: 'The network with this uuid.',
  args: ByUuid,
  result: NetworkRefSchema,
});

/** @since 0.1.0 */
export const networkListAll = defineProcedure({
  name: 'network.listAll',
  number: 507,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'connect:search_networks',
  summary: "Every network matching libvirt's listAllNetworks filters (state, persistence, autostart), sorted by name.",
  args: Type.Object({ flags: Type.Optional(NetworkListFlagsSchema) }, { additionalProperties: false }),
  result: Type.Object({ networks: Type.Array(NetworkRefSchema) }),
});

/** @since 0.1.0 */
export const networkGetXMLDesc = defineProcedure({
  name: 'network.getXMLDesc',
  number: 508,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:read',
  summary: 'The network XML as running, or with `inactive` the saved definition (VIR_NETWORK_XML_INACTIVE).',
  args: Type.Object({ uuid: UuidSchema, inactive: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  result: Type.Object({ xml: Type.String() }),
});

/** @since 0.1.0 */
export const networkIsActive = defineProcedure({
  name: 'network.isActive',
  number: 509,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:read',
  summary: 'Whether the network is started.',
  args: ByUuid,
  result: Type.Object({ active: Type.Boolean() }),
});

/** @since 0.1.0 */
export const networkIsPersistent = defineProcedure({
  name: 'network.isPersistent',
  number: 510,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:read',
  summary: 'Whether the network has a saved config (survives being stopped).',
  args: ByUuid,
  result: Type.Object({ persistent: Type.Boolean() }),
});

/** @since 0.1.0 */
export const networkGetBridgeName = defineProcedure({
  name: 'network.getBridgeName',
  number: 511,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:read',
  summary: "The name of the network's bridge device (virNetworkGetBridgeName).",
  args: ByUuid,
  result: Type.Object({ bridge: Type.String() }),
});

/** @since 0.1.0 */
export const networkSetAutostart = defineProcedure({
  name: 'network.setAutostart',
  number: 512,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network:write',
  summary: 'Start (or not) the persistent network when the daemon starts.',
  args: Type.Object({ uuid: UuidSchema, autostart: Type.Boolean() }, { additionalProperties: false }),
  result: Empty,
});

/** @since 0.1.0 */
export const networkGetAutostart = defineProcedure({
  name: 'network.getAutostart',
  number: 513,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:read',
  summary: 'Whether the network is marked for autostart.',
  args: ByUuid,
  result: Type.Object({ autostart: Type.Boolean() }),
});

/** @since 0.1.0 */
export const networkUpdate = defineProcedure({
  name: 'network.update',
  number: 514,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network:write',
  summary:
    'Add, delete or modify one element of a section (virNetworkUpdate), in the running network (`live`), the saved config (`config`) or, neither set, whichever the network has.',
  args: Type.Object(
    {
      uuid: UuidSchema,
      command: Type.Union(NETWORK_UPDATE_COMMANDS.map((c) => Type.Literal(c))),
      section: Type.Union(NETWORK_UPDATE_SECTIONS.map((s) => Type.Literal(s))),
      /** Which `<ip>` element (for ip-dhcp-*), in document order; -1: the first that fits, as libvirt. */
      parentIndex: Type.Optional(Type.Integer({ minimum: -1, maximum: 65535 })),
      xml: XmlArg,
      live: Type.Optional(Type.Boolean()),
      config: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  result: Empty,
});

/** @since 0.1.0 */
export const networkGetDHCPLeases = defineProcedure({
  name: 'network.getDHCPLeases',
  number: 515,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:read',
  summary: "The unexpired leases of the network's DHCP server, optionally only those of one MAC address.",
  args: Type.Object({ uuid: UuidSchema, mac: Type.Optional(MacAddressSchema) }, { additionalProperties: false }),
  result: Type.Object({ leases: Type.Array(NetworkDHCPLeaseSchema) }),
});

/** @since 0.1.0 */
export const networkPortCreateXML = defineProcedure({
  name: 'network.portCreateXML',
  number: 516,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network_port:create',
  summary:
    "Create a port on an active network from its XML (owner domain, MAC): plugs it and returns the port XML with the plug result (bridge, tap); `reclaim` re-registers an existing guest's port (VIR_NETWORK_PORT_CREATE_RECLAIM).",
  args: Type.Object(
    { network: UuidSchema, xml: XmlArg, reclaim: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  result: Type.Object({ network: UuidSchema, uuid: UuidSchema, xml: Type.String() }),
});

/** @since 0.1.0 */
export const networkPortDelete = defineProcedure({
  name: 'network.portDelete',
  number: 517,
  since: '0.1.0',
  readonly: false,
  owner: 'virtnetworkd',
  access: 'network_port:delete',
  summary: 'Unplug and forget a port.',
  args: PortByUuid,
  result: Empty,
});

/** @since 0.1.0 */
export const networkPortLookupByUUID = defineProcedure({
  name: 'network.portLookupByUUID',
  number: 518,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network_port:getattr',
  summary: 'The port of this network with this uuid.',
  args: PortByUuid,
  result: NetworkPortRefSchema,
});

/** @since 0.1.0 */
export const networkPortGetXMLDesc = defineProcedure({
  name: 'network.portGetXMLDesc',
  number: 519,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network_port:read',
  summary: 'The port XML: owner domain, MAC, and the plug result (bridge and tap names).',
  args: PortByUuid,
  result: Type.Object({ xml: Type.String() }),
});

/** @since 0.1.0 */
export const networkListAllPorts = defineProcedure({
  name: 'network.listAllPorts',
  number: 520,
  since: '0.1.0',
  readonly: true,
  owner: 'virtnetworkd',
  access: 'network:search_ports',
  summary: 'Every port of the network (virNetworkListAllPorts), sorted by uuid.',
  args: Type.Object({ network: UuidSchema }, { additionalProperties: false }),
  result: Type.Object({ ports: Type.Array(NetworkPortRefSchema) }),
});

/** Network lifecycle (virConnectNetworkEventLifecycleCallback); filter on `{ uuid }` or `{ name }`. @since 0.1.0 */
export const networkLifecycle = defineEvent({
  name: 'network.lifecycle',
  number: 500,
  since: '0.1.0',
  owner: 'virtnetworkd',
  summary: 'Lifecycle change of a network: virNetworkEventLifecycleType (detail always 0).',
  data: Type.Object({
    name: Type.String(),
    uuid: UuidSchema,
    event: Type.Integer({ minimum: 0 }),
    detail: Type.Integer({ minimum: 0 }),
  }),
});

export const NETWORK_PROCEDURES = [
  networkDefineXML,
  networkCreateXML,
  networkUndefine,
  networkCreate,
  networkDestroy,
  networkLookupByName,
  networkLookupByUUID,
  networkListAll,
  networkGetXMLDesc,
  networkIsActive,
  networkIsPersistent,
  networkGetBridgeName,
  networkSetAutostart,
  networkGetAutostart,
  networkUpdate,
  networkGetDHCPLeases,
  networkPortCreateXML,
  networkPortDelete,
  networkPortLookupByUUID,
  networkPortGetXMLDesc,
  networkListAllPorts,
] as const;

export const NETWORK_EVENTS = [networkLifecycle] as const;
