/**
 * tsvirsh domifaddr: virsh's table (header, dashes, a row per address, `-` for an interface's
 * later rows unless --full, N/A without addresses, --interface filtering), and as a process
 * against the real virtqemud: a shut-off domain refused in virsh's words, an OS-less running
 * guest without network interfaces giving the header alone, the agent and arp sources refused
 * as unsupported, an unknown source refused by virsh itself. Leases of a real guest on a NAT
 * network: packages/virtqemud/test/guest-network-nat.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DOMIFADDR_HEADER, formatInterfaceRows } from '../src/tsvirsh/commands/domifaddr.js';
import { envFor, runTsvirsh, withQemuDaemon, writeDomain } from './helpers.js';

const SESSION = ['-c', 'qemu:///session'];
const UUID = '7d0a8a55-6a51-4d36-9a0c-1f1e3c4b2a07';

const virsh = (root: string, ...args: string[]) => runTsvirsh([...SESSION, ...args], envFor(root));

const IFACES = [
  {
    name: 'vnet0',
    hwaddr: '52:54:00:12:34:56',
    addrs: [
      { type: 0, addr: '192.168.122.10', prefix: 24 },
      { type: 1, addr: 'fd00::10', prefix: 64 },
    ],
  },
  { name: 'vnet1', hwaddr: '52:54:00:12:34:57', addrs: [] },
];

test("virsh's table: header and dashes, one row per address, '-' on later rows unless --full, N/A without addresses", () => {
  assert.is(
    DOMIFADDR_HEADER,
    ' Name       MAC address          Protocol     Address\n' +
      '-------------------------------------------------------------------------------\n',
  );
  assert.is(
    formatInterfaceRows(IFACES),
    ' vnet0      52:54:00:12:34:56    ipv4         192.168.122.10/24\n' +
      ' -          -                    ipv6         fd00::10/64\n' +
      ' vnet1      52:54:00:12:34:57    N/A          N/A\n',
  );
  assert.is(
    formatInterfaceRows(IFACES, { full: true, only: 'vnet0' }),
    ' vnet0      52:54:00:12:34:56    ipv4         192.168.122.10/24\n' +
      ' vnet0      52:54:00:12:34:56    ipv6         fd00::10/64\n',
  );
  assert.is(formatInterfaceRows(IFACES, { only: 'vnet9' }), '');
});

test('domifaddr against virtqemud: shut off, no network interfaces, unsupported and unknown sources', () =>
  withQemuDaemon(async (root) => {
    assert.is((await virsh(root, 'define', writeDomain(root, 'ifaddr', UUID))).code, 0);

    const off = await virsh(root, 'domifaddr', 'ifaddr');
    assert.is(off.code, 1);
    assert.is(
      off.stderr,
      'error: Failed to query for interfaces addresses\nerror: Requested operation is not valid: domain is not running\n',
    );

    assert.is((await virsh(root, 'start', 'ifaddr')).code, 0);
    const none = await virsh(root, 'domifaddr', 'ifaddr');
    assert.is(none.code, 0, none.stderr);
    assert.is(none.stdout, `${DOMIFADDR_HEADER}\n`);
    const quiet = await virsh(root, '-q', 'domifaddr', 'ifaddr', '--source', 'lease');
    assert.is(quiet.stdout, '', 'no header with -q');

    for (const source of ['agent', 'arp']) {
      const refused = await virsh(root, 'domifaddr', UUID, '--source', source);
      assert.is(refused.code, 1);
      assert.match(refused.stderr, 'error: Failed to query for interfaces addresses\n');
      assert.match(
        refused.stderr,
        `error: argument unsupported: interface address source '${source}' is not supported`,
      );
    }

    const unknown = await virsh(root, 'domifaddr', 'ifaddr', '--source', 'dhcp');
    assert.is(unknown.code, 1);
    assert.is(unknown.stderr, "error: Unknown data source 'dhcp'\n");

    const missing = await virsh(root, 'domifaddr', 'nosuch');
    assert.is(missing.code, 1);
    assert.is(missing.stderr, "error: failed to get domain 'nosuch'\n");
    assert.is((await virsh(root, 'destroy', 'ifaddr')).code, 0);
  }));

test.run();
