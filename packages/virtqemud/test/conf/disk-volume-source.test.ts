/**
 * `<disk type='volume'>` in the model: no format is assumed (the volume's is taken at start),
 * and the live XML's resolved `file` or `dev` beside pool and volume survives a parse (the
 * runtime status of a running guest is read back by a restarted daemon).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import { virErrorOf } from '@tsvirt/common/testing';
import { domainDefFromXml, formatDomainDef } from '../../src/conf/domain-xml.js';

function domainWith(disk: string): string {
  return `<domain type='kvm'><name>t</name><memory>1024</memory><vcpu>1</vcpu>
<os><type>hvm</type></os><devices>${disk}</devices></domain>`;
}

test('a volume disk without <driver type> keeps none; a file disk gets raw', () => {
  const def = domainDefFromXml(
    domainWith(`<disk type='volume'><source pool='p' volume='v'/><target dev='vda'/></disk>
      <disk type='file'><source file='/x.img'/><target dev='vdb'/></disk>`),
  );
  const [volume, file] = def.devices.disks;
  assert.equal(volume?.driver, { name: 'qemu' });
  assert.equal(file?.driver, { name: 'qemu', type: 'raw' });
});

test('the resolved path of a live volume disk is formatted after pool and volume and parsed back', () => {
  for (const [attr, path] of [
    ['file', '/pool/v.qcow2'],
    ['dev', '/dev/vg/v'],
  ] as const) {
    const source = `<source pool='p' volume='v' ${attr}='${path}'/>`;
    const def = domainDefFromXml(domainWith(`<disk type='volume'>${source}<target dev='vda'/></disk>`));
    assert.equal(def.devices.disks[0]?.source, { pool: 'p', volume: 'v', [attr]: path });
    const xml = formatDomainDef(def, {});
    assert.match(xml, source);
    assert.equal(domainDefFromXml(xml).devices.disks[0]?.source, def.devices.disks[0]?.source);
  }
});

test('pool and volume stay refused on file disks, and a path alone on volume disks', () => {
  const onFile = virErrorOf(() =>
    domainDefFromXml(domainWith(`<disk type='file'><source pool='p' volume='v' file='/x'/><target dev='vda'/></disk>`)),
  );
  assert.is(onFile.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.match(onFile.message, "'pool'");
  const pathOnly = virErrorOf(() =>
    domainDefFromXml(domainWith(`<disk type='volume'><source file='/x'/><target dev='vda'/></disk>`)),
  );
  assert.is(pathOnly.code, ErrorCode.CONFIG_UNSUPPORTED);
  assert.match(pathOnly.message, "'file'");
});

test.run();
