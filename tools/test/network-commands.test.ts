/**
 * tsvirsh's network commands as processes against a real virtnetworkd in a network namespace
 * of the test's own: a network goes through define, list, info, uuid/name, autostart,
 * dumpxml, edit and undefine; then start (its bridge appears in the namespace), update
 * --live, a real DHCP lease from a client namespace, destroy (the bridge is gone), and a
 * transient network through net-create. Each output compared with the text virsh 9.0 prints.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { localExpiryTime } from '../src/tsvirsh/commands/network-dhcp-leases.js';
import type { RunResult } from './helpers.js';
import {
  addNamespace,
  deleteNamespace,
  findBusybox,
  linkExists,
  networkVirsh,
  ok,
  processesMentioning,
  runIn,
  withNetworkDaemon,
} from './network-daemon.js';

const UUID1 = '3fcca440-5774-4ba2-9013-39f9c4839a01';
const UUID2 = '3fcca440-5774-4ba2-9013-39f9c4839a02';

/** The outcome of a run as one comparable triple. */
const outcome = (r: RunResult): [number | null, string, string] => [r.code, r.stdout, r.stderr];

function netXml(name: string, uuid: string, bridge: string, subnet: string): string {
  return `<network>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <bridge name='${bridge}'/>
  <ip address='${subnet}.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='${subnet}.10' end='${subnet}.20'/>
    </dhcp>
  </ip>
</network>
`;
}

/** The `error:` lines virsh prints for a network that does not exist. */
const notFound = (text: string): string =>
  `error: failed to get network '${text}'\nerror: Network not found: no network with matching name '${text}'\n`;

const EMPTY_TABLE = ' Name   State   Autostart   Persistent\n----------------------------------------\n';

test('a persistent network from net-define to net-undefine, each step printed as virsh prints it', () =>
  withNetworkDaemon(async ({ root }) => {
    const run = (...args: string[]) => networkVirsh(root, args);
    const file = join(root, 'n1.xml');
    writeFileSync(file, netXml('n1', UUID1, 'virbr7', '10.99.0'));

    assert.equal(outcome(await run('net-list', '--all')), [0, `${EMPTY_TABLE}\n`, '']);
    assert.equal(outcome(await run('net-define', file)), [0, `Network n1 defined from ${file}\n\n`, '']);
    assert.equal(outcome(await run('net-list')), [0, `${EMPTY_TABLE}\n`, ''], 'defined, not started');
    const inactiveTable =
      ' Name   State      Autostart   Persistent\n' +
      '-------------------------------------------\n' +
      ' n1     inactive   no          yes\n';
    assert.equal(outcome(await run('net-list', '--all')), [0, `${inactiveTable}\n`, '']);
    assert.equal(outcome(await run('net-list', '--inactive', '--table')), [0, `${inactiveTable}\n`, '']);
    // --all wins over --inactive, as in virsh (no exclusion check)
    assert.equal(outcome(await run('net-list', '--all', '--inactive')), [0, `${inactiveTable}\n`, '']);
    assert.equal(outcome(await run('net-list', '--all', '--transient')), [0, `${EMPTY_TABLE}\n`, '']);
    assert.equal(outcome(await run('net-list', '--all', '--persistent', '--name')), [0, 'n1\n\n', '']);
    assert.equal(outcome(await run('net-list', '--inactive', '--uuid')), [0, `${UUID1}\n\n`, '']);
    assert.equal(outcome(await run('-q', 'net-list', '--all')), [0, ' n1     inactive   no          yes\n', '']);
    assert.equal(outcome(await run('net-list', '--name', '--uuid')), [
      1,
      '\n',
      'error: Only one argument from --table, --name and --uuid may be specified.\n',
    ]);

    assert.equal(outcome(await run('net-info', 'n1')), [
      0,
      'Name:           n1\n' +
        `UUID:           ${UUID1}\n` +
        'Active:         no\n' +
        'Persistent:     yes\n' +
        'Autostart:      no\n' +
        'Bridge:         virbr7\n\n',
      '',
    ]);
    assert.equal(outcome(await run('net-uuid', 'n1')), [0, `${UUID1}\n\n`, '']);
    assert.equal(outcome(await run('net-name', UUID1)), [0, 'n1\n\n', '']);
    // net-name takes a uuid only (nothing looked up: one line), net-uuid a name only
    assert.equal(outcome(await run('net-name', 'n1')), [1, '\n', "error: failed to get network 'n1'\n"]);
    assert.equal(outcome(await run('net-uuid', UUID1)), [1, '\n', notFound(UUID1)]);
    assert.equal(outcome(await run('net-name', UUID2)), [
      1,
      '\n',
      `error: failed to get network '${UUID2}'\nerror: Network not found: no network with matching uuid '${UUID2}'\n`,
    ]);
    assert.equal(outcome(await run('net-info', UUID1)).slice(0, 2), [0, (await run('net-info', 'n1')).stdout]);

    assert.equal(outcome(await run('net-autostart', 'n1')), [0, 'Network n1 marked as autostarted\n\n', '']);
    assert.equal(outcome(await run('net-list', '--all', '--autostart', '--name')), [0, 'n1\n\n', '']);
    assert.equal(outcome(await run('net-list', '--all', '--no-autostart', '--name')), [0, '\n', '']);
    assert.match((await run('net-info', 'n1')).stdout, '\nAutostart:      yes\n');
    assert.equal(outcome(await run('net-autostart', UUID1, '--disable')), [
      0,
      `Network ${UUID1} unmarked as autostarted\n\n`,
      '',
    ]);
    assert.equal(outcome(await run('net-list', '--all', '--autostart', '--name')), [0, '\n', '']);

    const xml = await ok(root, 'net-dumpxml', 'n1');
    assert.match(xml, /^<network>\n {2}<name>n1<\/name>\n {2}<uuid>3fcca440-5774-4ba2-9013-39f9c4839a01<\/uuid>\n/);
    assert.match(xml, "<range start='10.99.0.10' end='10.99.0.20'/>");
    assert.match(xml, /<\/network>\n$/);
    assert.is(await ok(root, 'net-dumpxml', '--inactive', 'n1'), xml, 'inactive: the live XML is the config');

    // a second definition with the same name and another uuid is refused by the daemon, in two lines
    const clash = join(root, 'clash.xml');
    writeFileSync(clash, netXml('n1', UUID2, 'virbr8', '10.98.0'));
    const refused = await run('net-define', clash);
    assert.equal(outcome(refused).slice(0, 2), [1, '\n']);
    assert.is(
      refused.stderr,
      `error: Failed to define network from ${clash}\n` +
        `error: operation failed: network 'n1' already exists with uuid ${UUID1}\n`,
    );
    assert.equal(outcome(await run('net-define', join(root, 'missing.xml'))), [
      1,
      '\n',
      `error: Failed to open file '${join(root, 'missing.xml')}': No such file or directory\n`,
    ]);

    for (const command of ['net-info', 'net-start', 'net-destroy', 'net-undefine', 'net-dumpxml', 'net-autostart']) {
      assert.equal(outcome(await run(command, 'nope')), [1, '\n', notFound('nope')], command);
    }

    assert.equal(outcome(await run('net-undefine', 'n1')), [0, 'Network n1 has been undefined\n\n', '']);
    assert.equal(outcome(await run('net-list', '--all')), [0, `${EMPTY_TABLE}\n`, '']);
    assert.equal(outcome(await run('net-info', 'n1')), [1, '\n', notFound('n1')]);
  }));

test('net-edit: a changed range is defined again; an unchanged file is "not changed"; a refused edit keeps the old', () =>
  withNetworkDaemon(async ({ root }) => {
    const file = join(root, 'e1.xml');
    writeFileSync(file, netXml('e1', UUID1, 'virbr7', '10.97.0'));
    await ok(root, 'net-define', file);
    const tmp = join(root, 'tmp');
    mkdirSync(tmp);
    const editor = join(root, 'widen.sh');
    writeFileSync(editor, `#!/bin/sh\nset -e\nsed -i "s|end='10.97.0.20'|end='10.97.0.40'|" "$1"\n`);
    chmodSync(editor, 0o755);
    const edited = await networkVirsh(root, ['net-edit', 'e1'], { EDITOR: editor, VISUAL: '', TMPDIR: tmp });
    assert.equal(outcome(edited), [0, 'Network e1 XML configuration edited.\n\n', '']);
    const xml = await ok(root, 'net-dumpxml', '--inactive', 'e1');
    assert.match(xml, "<range start='10.97.0.10' end='10.97.0.40'/>");
    const unchanged = await networkVirsh(root, ['net-edit', UUID1], { EDITOR: 'true', VISUAL: '', TMPDIR: tmp });
    assert.equal(outcome(unchanged), [0, 'Network e1 XML configuration not changed.\n\n', '']);
    assert.equal(readdirSync(tmp), [], 'the temp files are gone');

    // an edit the daemon refuses asks "Try again?"; 'n' keeps the definition as it was
    const breaker = join(root, 'break.sh');
    writeFileSync(breaker, `#!/bin/sh\nset -e\nsed -i "s|<name>e1</name>|<name>e1/x</name>|" "$1"\n`);
    chmodSync(breaker, 0o755);
    const refused = await networkVirsh(root, ['net-edit', 'e1'], { EDITOR: breaker, VISUAL: '', TMPDIR: tmp }, 'n\n');
    assert.equal([refused.code, refused.stdout], [1, '\rFailed. Try again? [y,n,f,?]: \n\n']);
    assert.match(refused.stderr, /^error: [^\n]+\n$/);
    assert.is(await ok(root, 'net-dumpxml', '--inactive', 'e1'), xml);
    assert.equal(readdirSync(tmp), []);
  }));

test('net-update on an inactive network: argument errors as virsh words them, then the config changes', () =>
  withNetworkDaemon(async ({ root }) => {
    const run = (...args: string[]) => networkVirsh(root, args);
    const file = join(root, 'u1.xml');
    writeFileSync(file, netXml('u1', UUID1, 'virbr7', '10.96.0'));
    await ok(root, 'net-define', file);
    const host = "<host mac='52:54:00:00:00:05' name='h5' ip='10.96.0.5'/>";

    assert.equal(outcome(await run('net-update', 'u1', 'bogus', 'ip-dhcp-host', host)), [
      1,
      '\n',
      "error: unrecognized command name 'bogus'\n",
    ]);
    assert.equal(outcome(await run('net-update', 'u1', 'add', 'bogus', host)), [
      1,
      '\n',
      "error: unrecognized section name 'bogus'\n",
    ]);
    assert.equal(outcome(await run('net-update', 'u1', 'add', 'ip-dhcp-host', host, '--current', '--live')), [
      1,
      '\n',
      'error: Options --current and --live are mutually exclusive\n',
    ]);
    assert.equal(outcome(await run('net-update', 'u1', 'add', 'ip-dhcp-host', join(root, 'missing.xml'))), [
      1,
      '\n',
      `error: Failed to open file '${join(root, 'missing.xml')}': No such file or directory\n`,
    ]);
    assert.equal(outcome(await run('net-update', 'nope', 'add', 'ip-dhcp-host', host)), [1, '\n', notFound('nope')]);
    // tsvirsh's option parser refuses it before the command runs, so without virsh's blank line on stdout
    const badIndex = await run('net-update', 'u1', 'add', 'ip-dhcp-host', host, '--parent-index', 'x');
    assert.equal(
      [badIndex.code, badIndex.stderr],
      [1, "error: Numeric value 'x' for <parent-index> option is malformed or out of range\n"],
    );

    // inline XML, neither flag on an inactive network: the persistent config
    assert.equal(outcome(await run('net-update', 'u1', 'add', 'ip-dhcp-host', host)), [
      0,
      'Updated network u1 persistent config\n',
      '',
    ]);
    assert.match(await ok(root, 'net-dumpxml', '--inactive', 'u1'), host);
    // the same element from a file, by uuid: the daemon refuses a duplicate, naming the network as looked up
    const hostFile = join(root, 'host.xml');
    writeFileSync(hostFile, host);
    const dup = await run('net-update', UUID1, 'add-last', 'ip-dhcp-host', hostFile, '--config');
    assert.equal(outcome(dup).slice(0, 2), [1, '\n']);
    assert.match(dup.stderr, /^error: Failed to update network u1\nerror: [^\n]+\n$/);
    assert.equal(outcome(await run('net-update', UUID1, 'delete', 'ip-dhcp-host', hostFile, '--config')), [
      0,
      'Updated network u1 persistent config\n',
      '',
    ]);
    assert.not.match(await ok(root, 'net-dumpxml', '--inactive', 'u1'), 'h5');
    assert.equal(outcome(await run('-q', 'net-update', 'u1', 'add', 'ip-dhcp-host', host, '--config')), [0, '', '']);
    assert.match(await ok(root, 'net-dumpxml', '--inactive', 'u1'), host);
  }));

const MAC1 = '52:54:00:95:00:11';
const MAC2 = '52:54:00:95:00:22';

/** The net-dhcp-leases table as virsh lays it out: each column as wide as its widest cell, 3 spaces apart. */
function leaseTable(rows: string[][]): string {
  const header = ['Expiry Time', 'MAC address', 'Protocol', 'IP address', 'Hostname', 'Client ID or DUID'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => ` ${i < 5 ? c.padEnd(widths[i]! + 2) : c}`).join('');
  const dashes = '-'.repeat(widths.reduce((a, b) => a + b + 3, 0));
  return [line(header), dashes, ...rows.map(line)].join('\n') + '\n';
}

/** The lines of every dnsmasq lease file under the root. */
const readLeaseFiles = (root: string): string[] =>
  readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('leases'))
    .flatMap((f) => readFileSync(join(root, f), 'utf8').split('\n'));

/** The processes named `comm` among those the daemon of `root` started. */
const processesNamed = (root: string, comm: string): number[] =>
  processesMentioning(root).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  });

/** Polls `probe` until it returns a value, failing after `ms` with `what`. */
async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('net-start makes the bridge in the namespace, net-update --live reaches dnsmasq, a real lease, net-destroy', () =>
  withNetworkDaemon(async ({ root, ns }) => {
    const run = (...args: string[]) => networkVirsh(root, args);
    const file = join(root, 'n1.xml');
    writeFileSync(file, netXml('n1', UUID1, 'virbr7', '10.95.0'));
    await ok(root, 'net-define', file);
    assert.is(await linkExists(ns, 'virbr7'), false, 'defining makes no bridge');

    let t0 = Date.now();
    assert.equal(outcome(await run('net-start', 'n1')), [0, 'Network n1 started\n\n', '']);
    const startMs = Date.now() - t0;
    assert.ok(await linkExists(ns, 'virbr7'), 'the bridge is up in the namespace');
    const addr = JSON.parse(await runIn(ns, ['ip', '-j', 'addr', 'show', 'dev', 'virbr7'])) as {
      addr_info: { local: string; prefixlen: number }[];
    }[];
    assert.ok(
      addr[0]?.addr_info.some((a) => a.local === '10.95.0.1' && a.prefixlen === 24),
      JSON.stringify(addr),
    );
    assert.is(processesNamed(root, 'dnsmasq').length, 1, 'one dnsmasq for the network');
    const again = await run('net-start', 'n1');
    assert.equal(outcome(again).slice(0, 2), [1, '\n']);
    assert.match(
      again.stderr,
      /^error: Failed to start network n1\nerror: Requested operation is not valid: [^\n]+\n$/,
    );
    assert.equal(outcome(await run('net-list')), [
      0,
      ' Name   State    Autostart   Persistent\n' +
        '-----------------------------------------\n' +
        ' n1     active   no          yes\n\n',
      '',
    ]);
    assert.equal(outcome(await run('net-list', '--inactive', '--name')), [0, '\n', '']);
    assert.equal(outcome(await run('net-info', 'n1')), [
      0,
      'Name:           n1\n' +
        `UUID:           ${UUID1}\n` +
        'Active:         yes\n' +
        'Persistent:     yes\n' +
        'Autostart:      no\n' +
        'Bridge:         virbr7\n\n',
      '',
    ]);

    assert.equal(outcome(await run('net-dhcp-leases', 'n1')), [0, `${leaseTable([])}\n`, '']);
    // a DHCP client in a namespace of its own, on a veth into the bridge
    const client = `${ns}-c`;
    try {
      await addNamespace(client);
      await runIn(ns, ['ip', 'link', 'add', 'vc-h', 'type', 'veth', 'peer', 'name', 'vc-c', 'netns', client]);
      await runIn(ns, ['ip', 'link', 'set', 'vc-h', 'master', 'virbr7', 'up']);
      const busybox = findBusybox(root);
      const script = join(root, 'udhcpc.script');
      const got = join(root, 'udhcpc.out');
      writeFileSync(script, `#!/bin/sh\ncase "$1" in bound|renew) echo "$ip" > "${got}" ;; esac\n`);
      chmodSync(script, 0o755);
      /** One DHCP exchange from the client as `mac`: the address it was given. */
      const dhcp = async (mac: string, hostname: string): Promise<string> => {
        await runIn(client, ['ip', 'link', 'set', 'vc-c', 'down']);
        await runIn(client, ['ip', 'link', 'set', 'vc-c', 'address', mac, 'up']);
        const args = ['udhcpc', '-i', 'vc-c', '-f', '-q', '-n', '-t', '10', '-T', '1', '-s', script];
        await runIn(client, [busybox, ...args, '-x', `hostname:${hostname}`]);
        return readFileSync(got, 'utf8').trim();
      };
      t0 = Date.now();
      const first = await dhcp(MAC1, 'client1');
      const dhcpMs = Date.now() - t0;
      assert.match(first, /^10\.95\.0\.(1\d|20)$/, 'an address of the range');

      // a static host in the running network only; the next exchange of that MAC must get its address
      const host = `<host mac='${MAC2}' name='client2' ip='10.95.0.42'/>`;
      assert.equal(outcome(await run('net-update', 'n1', 'add', 'ip-dhcp-host', host, '--live')), [
        0,
        'Updated network n1 live state\n',
        '',
      ]);
      assert.match(await ok(root, 'net-dumpxml', 'n1'), host);
      assert.not.match(await ok(root, 'net-dumpxml', '--inactive', 'n1'), 'client2', 'the config is untouched');
      assert.is(await dhcp(MAC2, 'client2'), '10.95.0.42', 'dnsmasq hands out the live-added host');

      // dnsmasq's own records: expiry in seconds and the client ids udhcpc sent (01 + its MAC)
      const records = await waitFor(
        async () => {
          const lines = readLeaseFiles(root).filter((l) => l.includes(MAC1) || l.includes(MAC2));
          return lines.length === 2 ? lines.sort().map((l) => l.split(' ')) : undefined;
        },
        10_000,
        'both leases in the dnsmasq lease file',
      );
      const expected = leaseTable(
        records.map(([expiry, mac, ip, hostname, clientid]) => [
          localExpiryTime(Number(expiry)),
          mac!,
          'ipv4',
          `${ip}/24`,
          hostname!,
          clientid!,
        ]),
      );
      assert.equal(
        records.map((r) => [r[1], r[2], r[3], r[4]]),
        [
          [MAC1, first, 'client1', `01:${MAC1}`],
          [MAC2, '10.95.0.42', 'client2', `01:${MAC2}`],
        ],
      );
      assert.equal(outcome(await run('net-dhcp-leases', 'n1')), [0, `${expected}\n`, '']);
      const [head, dashes, row1, row2] = expected.split('\n');
      assert.equal(outcome(await run('net-dhcp-leases', 'n1', '--mac', MAC2)), [
        0,
        `${head}\n${dashes}\n${row2}\n\n`,
        '',
      ]);
      assert.equal(outcome(await run('-q', 'net-dhcp-leases', UUID1, '--mac', MAC1)), [0, `${row1}\n`, '']);
      assert.equal(outcome(await run('net-dhcp-leases', 'n1', '--mac', '52:54:00:00:00:01')), [
        0,
        `${leaseTable([])}\n`,
        '',
      ]);
      console.log(`  net-start ${startMs} ms, first DHCP exchange ${dhcpMs} ms`);
    } finally {
      await deleteNamespace(client);
    }

    t0 = Date.now();
    assert.equal(outcome(await run('net-destroy', 'n1')), [0, 'Network n1 destroyed\n\n', '']);
    const destroyMs = Date.now() - t0;
    assert.is(await linkExists(ns, 'virbr7'), false, 'the bridge is gone');
    assert.equal(processesNamed(root, 'dnsmasq'), [], 'dnsmasq is stopped');
    const twice = await run('net-destroy', 'n1');
    assert.equal(outcome(twice).slice(0, 2), [1, '\n']);
    assert.match(
      twice.stderr,
      /^error: Failed to destroy network n1\nerror: Requested operation is not valid: [^\n]+\n$/,
    );
    assert.equal(outcome(await run('net-list', '--all', '--inactive', '--name')), [0, 'n1\n\n', '']);
    assert.not.match(await ok(root, 'net-dumpxml', 'n1'), 'client2', 'the live-only host went with the live state');
    console.log(`  net-destroy ${destroyMs} ms`);
  }));

test('net-create: a transient network gets a free virbrN, is listed as transient, and is gone once destroyed', () =>
  withNetworkDaemon(async ({ root, ns }) => {
    const run = (...args: string[]) => networkVirsh(root, args);
    const file = join(root, 't1.xml');
    writeFileSync(file, "<network>\n  <name>t1</name>\n  <ip address='10.94.0.1' prefix='24'/>\n</network>\n");
    assert.equal(outcome(await run('net-create', file)), [0, `Network t1 created from ${file}\n\n`, '']);
    const info = await ok(root, 'net-info', 't1');
    const bridge = /\nBridge: {9}(virbr\d+)\n$/.exec(info)?.[1];
    assert.ok(bridge, info);
    assert.match(info, /\nActive: {9}yes\nPersistent: {5}no\nAutostart: {6}no\n/);
    assert.ok(await linkExists(ns, bridge!), `${bridge} exists in the namespace`);
    assert.match(await ok(root, 'net-dumpxml', 't1'), `<bridge name='${bridge}'`);
    assert.equal(outcome(await run('net-list', '--transient')), [
      0,
      ' Name   State    Autostart   Persistent\n' +
        '-----------------------------------------\n' +
        ' t1     active   no          no\n\n',
      '',
    ]);
    assert.equal(outcome(await run('net-list', '--persistent', '--all', '--name')), [0, '\n', '']);
    for (const [command, first] of [
      ['net-autostart', 'failed to mark network t1 as autostarted'],
      ['net-undefine', 'Failed to undefine network t1'],
    ] as const) {
      const r = await run(command, 't1');
      assert.equal(outcome(r).slice(0, 2), [1, '\n'], command);
      assert.match(r.stderr, new RegExp(`^error: ${first}\\nerror: [^\\n]+\\n$`));
    }
    // neither --live nor --config on a running network: the live state
    assert.equal(
      outcome(await run('net-update', 't1', 'add', 'dns-host', "<host ip='10.94.0.7'><hostname>h7</hostname></host>")),
      [0, 'Updated network t1 live state\n', ''],
    );
    assert.match(await ok(root, 'net-dumpxml', 't1'), '<hostname>h7</hostname>');
    assert.equal(outcome(await run('net-destroy', 't1')), [0, 'Network t1 destroyed\n\n', '']);
    assert.is(await linkExists(ns, bridge!), false, 'the bridge is gone');
    assert.equal(outcome(await run('net-list', '--all')), [0, `${EMPTY_TABLE}\n`, '']);
    assert.equal(outcome(await run('net-info', 't1')), [1, '\n', notFound('t1')]);
  }));

test('net-dhcp-leases prints the expiry in local time, as date(1) does', () => {
  for (const seconds of [0, 1_767_323_045, 1_790_000_000]) {
    const expected = execFileSync('date', ['-d', `@${seconds}`, '+%Y-%m-%d %H:%M:%S'], { encoding: 'utf8' }).trim();
    assert.is(localExpiryTime(seconds), expected);
  }
});

test.run();
