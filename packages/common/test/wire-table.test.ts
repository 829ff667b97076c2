/**
 * The wire table is append-only: procedure, event, message-type and error numbers may
 * be added, never changed or removed. The committed snapshot is the record; a new
 * entry is added to it deliberately (see docs/protocol.md, "Changing the protocol").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain } from '../src/errors/error-codes.js';
import { ALL_EVENTS, ALL_PROCEDURES } from '../src/protocol/registry.js';
import { MessageType } from '../src/wire/messages.js';

// Tests run from dist/test; the snapshot lives with the sources.
const SNAPSHOT = fileURLToPath(new URL('../../test/fixtures/wire-table.json', import.meta.url));

type Table = Record<string, Record<string, string | number | boolean>>;

function currentTable(): Record<string, Table> {
  const procedures: Table = {};
  for (const p of ALL_PROCEDURES) {
    procedures[String(p.number)] = {
      name: p.name,
      readonly: p.readonly,
      owner: p.owner,
      socket: p.socket,
      stream: p.stream ?? 'none',
    };
  }
  const events: Table = {};
  for (const e of ALL_EVENTS) events[String(e.number)] = { name: e.name, owner: e.owner };
  const named = (values: Record<string, number>): Table =>
    Object.fromEntries(Object.entries(values).map(([name, n]) => [String(n), { name }]));
  return {
    procedures,
    events,
    messageTypes: named(MessageType),
    errorCodes: named(ErrorCode),
    errorDomains: named(ErrorDomain),
  };
}

test('no entry of the committed wire table changed or disappeared', () => {
  const current = currentTable();
  if (process.env.UPDATE_WIRE_TABLE === '1') writeFileSync(SNAPSHOT, `${JSON.stringify(current, null, 2)}\n`);
  const committed = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, Table>;
  for (const [section, entries] of Object.entries(committed)) {
    for (const [number, entry] of Object.entries(entries)) {
      assert.equal(
        current[section]?.[number],
        entry,
        `${section} ${number} (${String(entry.name)}) changed or was removed`,
      );
    }
  }
});

test('every current entry is recorded in the committed table', () => {
  const committed = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, Table>;
  for (const [section, entries] of Object.entries(currentTable())) {
    for (const number of Object.keys(entries)) {
      assert.ok(
        committed[section]?.[number],
        `${section} ${number} is new: run the tests with UPDATE_WIRE_TABLE=1 and commit the table`,
      );
    }
  }
});

// Facts carried over from libvirt (virterror.h): a mismatch here would mislead callers who know libvirt.
const LIBVIRT_NUMBERS: Array<[keyof typeof ErrorCode, number]> = [
  ['INTERNAL_ERROR', 1],
  ['NO_SUPPORT', 3],
  ['NO_CONNECT', 5],
  ['INVALID_ARG', 8],
  ['OPERATION_FAILED', 9],
  ['XML_ERROR', 27],
  ['DOM_EXIST', 28],
  ['OPERATION_DENIED', 29],
  ['CONF_SYNTAX', 33],
  ['SYSTEM_ERROR', 38],
  ['RPC', 39],
  ['NO_DOMAIN', 42],
  ['NO_NETWORK', 43],
  ['NO_STORAGE_POOL', 49],
  ['NO_STORAGE_VOL', 50],
  ['NO_NODE_DEVICE', 53],
  ['OPERATION_INVALID', 55],
  ['NO_SECRET', 66],
  ['CONFIG_UNSUPPORTED', 67],
  ['OPERATION_TIMEOUT', 68],
  ['INVALID_STREAM', 73],
  ['OPERATION_UNSUPPORTED', 84],
  ['ACCESS_DENIED', 88],
  ['STORAGE_VOL_EXIST', 90],
  ['XML_INVALID_SCHEMA', 92],
  ['NO_HOSTNAME', 108],
];

test("error codes carry libvirt's numbers", () => {
  for (const [name, number] of LIBVIRT_NUMBERS) assert.is(ErrorCode[name], number, name);
  const domains: Array<[keyof typeof ErrorDomain, number]> = [
    ['RPC', 7],
    ['CONF', 9],
    ['QEMU', 10],
    ['STORAGE', 18],
    ['NETWORK', 19],
    ['DOMAIN', 20],
    ['NODEDEV', 22],
    ['SECRET', 30],
    ['STREAMS', 38],
    ['URI', 45],
    ['ACCESS', 55],
    ['FIREWALL', 59],
    ['ADMIN', 62],
  ];
  for (const [name, number] of domains) assert.is(ErrorDomain[name], number, name);
});

test('procedure names follow group.method and numbers are unique', () => {
  const numbers = new Set<number>();
  for (const p of ALL_PROCEDURES) {
    assert.match(p.name, /^[a-z]+\.[a-zA-Z]+$/);
    assert.not.ok(numbers.has(p.number), `duplicate ${p.number}`);
    numbers.add(p.number);
    assert.is(p.socket === 'admin', p.name.startsWith('admin.'), p.name);
  }
});

test.run();
