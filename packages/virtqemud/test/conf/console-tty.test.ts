/** A pty console's `tty`: shown in the live XML next to the pty's source path, read back (and ignored) as libvirt does. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, VirError } from '@tsvirt/common';
import { domainDefFromXml, formatDomainDef } from '../../src/conf/domain-xml.js';

const LIVE = `<domain type='qemu' id='3'><name>t</name><uuid>6b3b1c0e-2b0a-4e4e-9a37-1f2d3c4b5a69</uuid>
<memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os><devices>
<serial type='pty'><source path='/dev/pts/7'/><target type='isa-serial' port='0'/></serial>
<console type='pty' tty='/dev/pts/9'><source path='/dev/pts/7'/><target type='serial' port='0'/></console>
</devices></domain>`;

const lines = (xml: string): string[] => xml.split('\n').map((l) => l.trim());

test('the live XML shows the pty path as the serial source and as the console tty; the inactive XML shows neither', () => {
  const def = domainDefFromXml(LIVE);
  const live = lines(formatDomainDef(def, {}));
  // The tty is derived from the source path: the /dev/pts/9 given on input is not kept.
  assert.ok(live.includes("<console type='pty' tty='/dev/pts/7'>"), live.join('\n'));
  assert.is(live.filter((l) => l === "<source path='/dev/pts/7'/>").length, 2);
  assert.ok(live.includes("<serial type='pty'>"));
  const inactive = formatDomainDef(def, { inactive: true });
  assert.not.match(inactive, '/dev/pts');
  assert.match(inactive, "<console type='pty'>");
});

test('a live XML formatted with tty parses back to the same XML (the status file round trip)', () => {
  const once = formatDomainDef(domainDefFromXml(LIVE), {});
  assert.is(formatDomainDef(domainDefFromXml(once), {}), once);
});

test('a pty console without a path yet has no tty; tty elsewhere stays refused', () => {
  const noPath = LIVE.replace(/<source path='\/dev\/pts\/7'\/>/g, '').replace(" tty='/dev/pts/9'", '');
  assert.match(formatDomainDef(domainDefFromXml(noPath), {}), "<console type='pty'>");
  let err: unknown;
  try {
    domainDefFromXml(LIVE.replace("<serial type='pty'>", "<serial type='pty' tty='/dev/pts/7'>"));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof VirError, String(err));
  assert.is(err.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.match(err.message, '<serial> attribute tty');
});

test.run();
