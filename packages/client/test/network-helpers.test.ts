/**
 * The network helpers against an in-memory fake daemon: each helper sends its own
 * `network.*` procedure (owned by virtnetworkd) with args the declared schema accepts,
 * and unwraps a schema-valid reply. The driver itself is tested in virtnetworkd.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validatorFor, describeValidationError, type ProcedureDecl } from '@tsvirt/common';
import {
  ErrorCode,
  ErrorDomain,
  VirError,
  NETWORK_UPDATE_COMMANDS,
  NETWORK_UPDATE_SECTIONS,
  NetworkEventType,
  NetworkUpdateCommand,
  NetworkUpdateSection,
  createNetworkPort,
  createNetworkXML,
  defineNetwork,
  deleteNetworkPort,
  destroyNetwork,
  getNetworkAutostart,
  getNetworkBridgeName,
  getNetworkDHCPLeases,
  getNetworkPortXML,
  getNetworkXML,
  isNetworkActive,
  isNetworkPersistent,
  listAllNetworkPorts,
  listAllNetworks,
  lookupNetwork,
  lookupNetworkPort,
  networkLifecycle,
  protocol,
  setNetworkAutostart,
  startNetwork,
  undefineNetwork,
  updateNetwork,
  type Connection,
} from '../src/index.js';

const NET = '8a2b2c6e-3d1f-4b5a-9c7d-0e1f2a3b4c5d';
const PORT = '11111111-2222-4333-8444-555555555555';
const REF = { name: 'default', uuid: NET };
const PORT_REF = { network: NET, uuid: PORT };
const LEASE = {
  iface: 'virbr0',
  expirytime: 1_700_000_000,
  type: 0,
  mac: '52:54:00:aa:bb:cc',
  ipaddr: '192.168.122.50',
  prefix: 24,
  hostname: 'guest',
  clientid: '01:52:54:00:aa:bb:cc',
};

/** What the fake daemon answers to each procedure, unless a test overrides it. */
const REPLIES: Record<string, unknown> = {
  'network.defineXML': REF,
  'network.createXML': REF,
  'network.undefine': {},
  'network.create': {},
  'network.destroy': {},
  'network.lookupByName': REF,
  'network.lookupByUUID': REF,
  'network.listAll': { networks: [REF] },
  'network.getXMLDesc': { xml: '<network/>' },
  'network.isActive': { active: true },
  'network.isPersistent': { persistent: false },
  'network.getBridgeName': { bridge: 'virbr0' },
  'network.setAutostart': {},
  'network.getAutostart': { autostart: true },
  'network.update': {},
  'network.getDHCPLeases': { leases: [LEASE] },
  'network.portCreateXML': { ...PORT_REF, xml: '<networkport/>' },
  'network.portDelete': {},
  'network.portLookupByUUID': PORT_REF,
  'network.portGetXMLDesc': { xml: '<networkport/>' },
  'network.listAllPorts': { ports: [PORT_REF] },
};

interface Call {
  name: string;
  args: unknown;
}

/** A Connection whose calls go to an in-memory daemon that checks both directions against the declarations. */
function fakeConnection(override: (call: Call) => unknown = () => undefined): { conn: Connection; calls: Call[] } {
  const calls: Call[] = [];
  const call = async (procedure: ProcedureDecl, args: unknown): Promise<unknown> => {
    const validArgs = validatorFor(procedure.args);
    if (!validArgs(args)) throw new Error(`${procedure.name} args ${describeValidationError(validArgs)}`);
    assert.is(procedure.owner, 'virtnetworkd', procedure.name);
    calls.push({ name: procedure.name, args });
    const answer = override({ name: procedure.name, args });
    if (answer instanceof Error) throw answer;
    const reply = answer ?? REPLIES[procedure.name];
    const validReply = validatorFor(procedure.result);
    if (!validReply(reply)) throw new Error(`${procedure.name} reply ${describeValidationError(validReply)}`);
    return reply;
  };
  return { conn: { call } as unknown as Connection, calls };
}

test('each helper sends its procedure with valid args and unwraps the reply; every procedure has a helper', async () => {
  const { conn, calls } = fakeConnection();
  const results: [string, unknown, unknown][] = [];
  const record = async (expect: string, promise: Promise<unknown>, expected: unknown) =>
    results.push([expect, await promise, expected]);
  await record('network.defineXML', defineNetwork(conn, '<network/>'), REF);
  await record('network.createXML', createNetworkXML(conn, '<network/>'), REF);
  await record('network.undefine', undefineNetwork(conn, NET), undefined);
  await record('network.create', startNetwork(conn, NET), undefined);
  await record('network.destroy', destroyNetwork(conn, NET), undefined);
  await record('network.lookupByName', lookupNetwork(conn, 'default'), REF);
  await record('network.lookupByUUID', lookupNetwork(conn, NET), REF);
  await record('network.listAll', listAllNetworks(conn, { active: true, noAutostart: true }), [REF]);
  await record('network.getXMLDesc', getNetworkXML(conn, NET, { inactive: true }), '<network/>');
  await record('network.isActive', isNetworkActive(conn, NET), true);
  await record('network.isPersistent', isNetworkPersistent(conn, NET), false);
  await record('network.getBridgeName', getNetworkBridgeName(conn, NET), 'virbr0');
  await record('network.setAutostart', setNetworkAutostart(conn, NET, true), undefined);
  await record('network.getAutostart', getNetworkAutostart(conn, NET), true);
  const host = "<host mac='52:54:00:aa:bb:cc' ip='192.168.122.50'/>";
  await record(
    'network.update',
    updateNetwork(conn, NET, {
      command: 'add-last',
      section: 'ip-dhcp-host',
      xml: host,
      parentIndex: 0,
      live: true,
      config: true,
    }),
    undefined,
  );
  await record('network.getDHCPLeases', getNetworkDHCPLeases(conn, NET, '52:54:00:aa:bb:cc'), [LEASE]);
  await record('network.portCreateXML', createNetworkPort(conn, NET, '<networkport/>', { reclaim: true }), {
    ...PORT_REF,
    xml: '<networkport/>',
  });
  await record('network.portDelete', deleteNetworkPort(conn, PORT_REF), undefined);
  await record('network.portLookupByUUID', lookupNetworkPort(conn, NET, PORT), PORT_REF);
  await record('network.portGetXMLDesc', getNetworkPortXML(conn, PORT_REF), '<networkport/>');
  await record('network.listAllPorts', listAllNetworkPorts(conn, NET), [PORT_REF]);

  assert.equal(
    calls.map((c) => c.name),
    results.map(([name]) => name),
  );
  for (const [name, got, expected] of results) assert.equal(got, expected, name);
  const argsOf = (name: string) => calls.find((c) => c.name === name)?.args;
  assert.equal(argsOf('network.listAll'), { flags: { active: true, noAutostart: true } });
  assert.equal(argsOf('network.getXMLDesc'), { uuid: NET, inactive: true });
  assert.equal(argsOf('network.update'), {
    uuid: NET,
    command: 'add-last',
    section: 'ip-dhcp-host',
    xml: host,
    parentIndex: 0,
    live: true,
    config: true,
  });
  assert.equal(argsOf('network.getDHCPLeases'), { uuid: NET, mac: '52:54:00:aa:bb:cc' });
  assert.equal(argsOf('network.portCreateXML'), { network: NET, xml: '<networkport/>', reclaim: true });
  assert.equal(argsOf('network.portDelete'), PORT_REF);

  const declared = protocol.ALL_PROCEDURES.filter((p) => p.owner === 'virtnetworkd').map((p) => p.name);
  assert.equal(new Set(calls.map((c) => c.name)), new Set(declared));
  assert.is(declared.length, 21);
});

test('unset options stay off the wire', async () => {
  const { conn, calls } = fakeConnection();
  await getNetworkXML(conn, NET);
  await getNetworkXML(conn, NET, { inactive: false });
  await updateNetwork(conn, NET, { command: 'delete', section: 'dns-host', xml: '<host/>', live: false });
  await getNetworkDHCPLeases(conn, NET);
  await createNetworkPort(conn, NET, '<networkport/>');
  await listAllNetworks(conn);
  assert.equal(
    calls.map((c) => c.args),
    [
      { uuid: NET },
      { uuid: NET },
      { uuid: NET, command: 'delete', section: 'dns-host', xml: '<host/>' },
      { uuid: NET },
      { network: NET, xml: '<networkport/>' },
      { flags: {} },
    ],
  );
});

test('lookupNetwork resolves as virsh: a uuid (any case, with or without dashes) first, then the name', async () => {
  const noNetwork = (what: string) =>
    new VirError(ErrorCode.NO_NETWORK, ErrorDomain.NETWORK, `Network not found: no network with matching ${what}`);

  const upper = fakeConnection();
  assert.equal(await lookupNetwork(upper.conn, NET.toUpperCase().replace(/-/g, '')), REF);
  assert.equal(upper.calls, [{ name: 'network.lookupByUUID', args: { uuid: NET } }]);

  // A network may be named like a uuid: the uuid miss falls through to the name.
  const named = fakeConnection((c) => (c.name === 'network.lookupByUUID' ? noNetwork(`uuid '${NET}'`) : undefined));
  assert.equal(await lookupNetwork(named.conn, NET), REF);
  assert.equal(
    named.calls.map((c) => c.name),
    ['network.lookupByUUID', 'network.lookupByName'],
  );

  const missing = fakeConnection(() => noNetwork("name 'nope'"));
  const err = await lookupNetwork(missing.conn, 'nope').catch((e: unknown) => e);
  assert.instance(err, VirError);
  assert.is((err as VirError).code, ErrorCode.NO_NETWORK);
  assert.equal(missing.calls, [{ name: 'network.lookupByName', args: { name: 'nope' } }]);

  // Any other failure of the uuid lookup is not a miss and is not hidden.
  const denied = fakeConnection(() => new VirError(ErrorCode.OPERATION_DENIED, ErrorDomain.NETWORK, 'denied'));
  const deniedErr = await lookupNetwork(denied.conn, NET).catch((e: unknown) => e);
  assert.is((deniedErr as VirError).code, ErrorCode.OPERATION_DENIED);
  assert.is(denied.calls.length, 1);
});

test('the declared args refuse what the daemon must never see', () => {
  const accepts = (name: string, args: unknown): boolean => {
    const decl = protocol.ALL_PROCEDURES.find((p) => p.name === name);
    assert.ok(decl, name);
    return validatorFor(decl.args)(args) as boolean;
  };
  assert.ok(accepts('network.create', { uuid: NET }));
  assert.not.ok(accepts('network.create', { uuid: NET.toUpperCase() }));
  assert.not.ok(accepts('network.create', { uuid: NET, force: true }));
  assert.not.ok(accepts('network.lookupByName', { name: '' }));
  assert.not.ok(accepts('network.lookupByName', { name: 'x'.repeat(1025) }));
  const update = { uuid: NET, command: 'modify', section: 'dns-srv', xml: '<srv/>' };
  assert.ok(accepts('network.update', update));
  assert.not.ok(accepts('network.update', { ...update, command: 'add' }));
  assert.not.ok(accepts('network.update', { ...update, section: 'dns' }));
  assert.not.ok(accepts('network.update', { ...update, parentIndex: -2 }));
  assert.not.ok(accepts('network.getDHCPLeases', { uuid: NET, mac: '52:54:00:aa:bb' }));
  assert.not.ok(accepts('network.listAll', { flags: { running: true } }));
  assert.not.ok(accepts('network.portDelete', { uuid: PORT }));
});

test("constants carry libvirt's numbers", () => {
  assert.equal(NetworkEventType, { DEFINED: 0, UNDEFINED: 1, STARTED: 2, STOPPED: 3 });
  assert.is(networkLifecycle.number, 500);
  assert.is(networkLifecycle.owner, 'virtnetworkd');
  assert.equal(NetworkUpdateCommand, { modify: 1, delete: 2, 'add-last': 3, 'add-first': 4 });
  assert.equal(NETWORK_UPDATE_COMMANDS, ['modify', 'delete', 'add-last', 'add-first']);
  assert.is(NetworkUpdateSection['ip-dhcp-host'], 4);
  assert.is(NetworkUpdateSection['dns-srv'], 12);
  assert.is(NetworkUpdateSection.portgroup, 9);
  assert.is(NETWORK_UPDATE_SECTIONS.length, 12);
});

test.run();
