/**
 * The pure parts of the pool and volume commands, against what virsh 9.0 prints for the
 * same input (taken from `virsh -c test:///default ... --print-xml`, pool-info, vol-list):
 * sizes, the XML of pool-define-as and vol-create-as, the clone XML, sparse extents and the
 * progress line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgressBar, formatProgress } from '../src/tsvirsh/commands/progress-bar.js';
import {
  buildPoolXml,
  buildVolXml,
  cloneVolXml,
  malformedSizeReason,
  parseVolSize,
  poolStateName,
  prettyCapacity,
  volTypeName,
} from '../src/tsvirsh/commands/storage-format.js';
import { splitExtents } from '../src/tsvirsh/commands/volume-transfer.js';

test('sizes print as vshPrettyCapacity does', () => {
  const cases: Array<[number, string]> = [
    [0, '0.00 B'],
    [1023, '1023.00 B'],
    [1024, '1.00 KiB'],
    [204800, '200.00 KiB'],
    [10485760, '10.00 MiB'],
    [1073741824, '1.00 GiB'],
    [10500000000, '9.78 GiB'],
    [107374182400, '100.00 GiB'],
    [1024 ** 4 * 3, '3.00 TiB'],
  ];
  for (const [bytes, text] of cases) assert.is(prettyCapacity(bytes), text, String(bytes));
});

test('volume sizes are scaled integers in bytes by default; bad ones say why as libvirt does', () => {
  const cases: Array<[string, number | undefined]> = [
    ['5', 5],
    ['10M', 10485760],
    ['10MiB', 10485760],
    ['1G', 1073741824],
    ['1GB', 1000000000],
    ['200K', 204800],
    ['200k', 204800],
    ['3bytes', 3],
    ['+1M', 1048576],
    [' 2K', 2048],
    ['1Q', undefined],
    ['abc', undefined],
    ['-1M', undefined],
    ['99999999E', undefined],
  ];
  for (const [text, bytes] of cases) assert.is(parseVolSize(text), bytes, text);
  assert.is(malformedSizeReason('1Q'), "invalid argument: unknown suffix 'Q'");
  assert.is(malformedSizeReason('1MX'), "invalid argument: unknown suffix 'MX'");
  assert.is(malformedSizeReason('99999999E'), 'numerical overflow: value too large: 99999999E');
  assert.is(malformedSizeReason('abc'), undefined);
});

test('state and type names are virsh’s, unknown past the end', () => {
  assert.equal([0, 1, 2, 3, 4, 5].map(poolStateName), [
    'inactive',
    'building',
    'running',
    'degraded',
    'inaccessible',
    'unknown',
  ]);
  assert.equal([0, 1, 2, 3, 4, 5, 6].map(volTypeName), [
    'file',
    'block',
    'dir',
    'network',
    'netdir',
    'ploop',
    'unknown',
  ]);
});

test('pool-define-as XML matches virsh --print-xml, element for element', () => {
  assert.is(
    buildPoolXml({
      name: 'p1y',
      type: 'dir',
      sourceHost: 'h',
      sourcePath: '/sp',
      sourceDev: '/dev/x',
      sourceName: 'sn',
      sourceFormat: 'fmt',
      target: '/t',
    }),
    `<pool type='dir'>
  <name>p1y</name>
  <source>
    <host name='h'/>
    <dir path='/sp'/>
    <device path='/dev/x'/>
    <format type='fmt'/>
    <name>sn</name>
  </source>
  <target>
    <path>/t</path>
  </target>
</pool>
`,
  );
  assert.is(
    buildPoolXml({
      name: 'p',
      type: 'dir',
      adapterWwnn: 'a',
      adapterWwpn: 'b',
      adapterParentWwnn: 'c',
      adapterParentWwpn: 'd',
      authType: 'chap',
      authUsername: 'u',
      secretUsage: 's',
      sourceInitiator: 'iqn',
      sourceProtocolVer: '4',
    }),
    `<pool type='dir'>
  <name>p</name>
  <source>
    <initiator>
      <iqn name='iqn'/>
    </initiator>
    <adapter type='fc_host' parent_wwnn='c' parent_wwpn='d' wwnn='a' wwpn='b'/>
    <auth type='chap' username='u'>
      <secret usage='s'/>
    </auth>
    <protocol ver='4'/>
  </source>
</pool>
`,
  );
  // an auth without a secret is dropped, and auth alone makes no <source>, as in virsh
  assert.is(
    buildPoolXml({ name: 'p', type: 'dir', adapterName: 'host0', authType: 'chap', authUsername: 'u' }),
    `<pool type='dir'>\n  <name>p</name>\n  <source>\n    <adapter type='scsi_host' name='host0'/>\n  </source>\n</pool>\n`,
  );
  assert.is(
    buildPoolXml({ name: "a'b&c", type: 'dir', target: '/x<y' }),
    `<pool type='dir'>\n  <name>a&apos;b&amp;c</name>\n  <target>\n    <path>/x&lt;y</path>\n  </target>\n</pool>\n`,
  );
});

test('vol-create-as XML matches virsh --print-xml', () => {
  assert.is(
    buildVolXml({ name: 'v4', capacity: 1073741824 }),
    '<volume>\n  <name>v4</name>\n  <capacity>1073741824</capacity>\n</volume>\n',
  );
  assert.is(
    buildVolXml({
      name: 'v4',
      capacity: 1073741824,
      allocation: 204800,
      format: 'qcow2',
      backing: { path: '/default-pool/base.img', format: 'raw' },
    }),
    `<volume>
  <name>v4</name>
  <capacity>1073741824</capacity>
  <allocation>204800</allocation>
  <target>
    <format type='qcow2'/>
  </target>
  <backingStore>
    <path>/default-pool/base.img</path>
    <format type='raw'/>
  </backingStore>
</volume>
`,
  );
});

test("the clone XML is the volume's XML with only its own <name> replaced", () => {
  const xml = `<volume type='file'>
  <name>base.img</name>
  <key>/p/base.img</key>
  <capacity unit='bytes'>1048576</capacity>
  <target>
    <path>/p/base.img</path>
    <format type='raw'/>
  </target>
  <backingStore>
    <name>other</name>
  </backingStore>
</volume>
`;
  assert.is(cloneVolXml(xml, 'copy&1'), xml.replace('<name>base.img</name>', '<name>copy&amp;1</name>'));
  assert.is(cloneVolXml('<pool><name>x</name></pool>', 'y'), undefined);
  assert.is(cloneVolXml('<volume><key>k</key></volume>', 'y'), undefined);
});

test('sparse extents: zero blocks become holes, data keeps its bytes, runs are merged', () => {
  const block = 4096;
  const buf = Buffer.alloc(block * 5);
  buf.fill(7, block, block * 2 + 10);
  const extents = splitExtents(buf);
  assert.equal(
    extents.map((e) => (e.kind === 'hole' ? ['hole', e.length] : ['data', e.data.length])),
    [
      ['hole', block],
      ['data', block * 2],
      ['hole', block * 2],
    ],
  );
  const data = extents[1];
  assert.ok(data?.kind === 'data' && data.data.equals(buf.subarray(block, block * 3)));
  // a short all-zero tail is a hole, a short tail with data is data
  assert.equal(
    splitExtents(Buffer.alloc(100)).map((e) => e.kind),
    ['hole'],
  );
  assert.equal(
    splitExtents(Buffer.from('marker')).map((e) => e.kind),
    ['data'],
  );
  assert.equal(splitExtents(Buffer.alloc(0)), []);
});

test('the progress line, and no output at all when stderr is not a terminal', () => {
  assert.is(
    formatProgress('Uploading', 80 * 1024 * 1024, 256 * 1024 * 1024),
    'Uploading: [=========>                    ]  31 %  80.00 MiB / 256.00 MiB',
  );
  assert.is(
    formatProgress('Uploading', 256 * 1024 * 1024, 256 * 1024 * 1024),
    'Uploading: [==============================] 100 %  256.00 MiB / 256.00 MiB',
  );
  assert.is(formatProgress('Cloning', 2048, undefined), 'Cloning: 2.00 KiB');
  const written: string[] = [];
  const quiet = new ProgressBar('Uploading', 100, { isTTY: false, write: (t) => written.push(t) });
  quiet.update(50, true);
  quiet.finish(100);
  assert.equal(written, []);
  const tty = new ProgressBar('Uploading', 100, { isTTY: true, write: (t) => written.push(t) });
  tty.update(50, true);
  tty.finish(100);
  assert.equal(written, [
    '\rUploading: [===============>              ]  50 %  50.00 B / 100.00 B',
    '\rUploading: [==============================] 100 %  100.00 B / 100.00 B',
    '\n',
  ]);
});

test.run();
