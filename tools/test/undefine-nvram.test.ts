/** tsvirsh undefine --nvram / --keep-nvram against a real virtqemud: a domain's UEFI vars file is never dropped silently. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envFor, runTsvirsh, withDaemon } from './helpers.js';

const virsh = (root: string, ...args: string[]) => runTsvirsh(['-q', '-c', 'qemu:///session', ...args], envFor(root));

function writeUefiDomain(root: string, name: string): string {
  const file = join(root, `${name}.xml`);
  writeFileSync(
    file,
    `<domain type='kvm'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
  </os>
</domain>`,
  );
  return file;
}

test('undefine refuses a domain with a vars file; --keep-nvram keeps it, --nvram deletes it', () =>
  withDaemon(async (root) => {
    const nvramDir = join(root, 'lib', 'virtqemud', 'nvram');
    for (const name of ['efi1', 'efi2']) assert.is((await virsh(root, 'define', writeUefiDomain(root, name))).code, 0);
    const dumped = (await virsh(root, 'dumpxml', 'efi1')).stdout;
    assert.match(dumped, `<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>${nvramDir}/efi1_VARS.fd</nvram>`);
    // What a first start leaves behind.
    mkdirSync(nvramDir, { recursive: true });
    for (const name of ['efi1', 'efi2']) writeFileSync(join(nvramDir, `${name}_VARS.fd`), 'vars');

    const refused = await virsh(root, 'undefine', 'efi1');
    assert.equal(
      [refused.code, refused.stderr],
      [
        1,
        "error: Failed to undefine domain 'efi1'\nerror: Requested operation is not valid: cannot undefine domain with nvram\n",
      ],
    );
    const both = await virsh(root, 'undefine', 'efi1', '--nvram', '--keep-nvram');
    assert.match(both.stderr, 'cannot both keep and delete nvram');

    const kept = await virsh(root, 'undefine', 'efi1', '--keep-nvram');
    assert.equal([kept.code, kept.stdout], [0, "Domain 'efi1' has been undefined\n"]);
    assert.ok(existsSync(join(nvramDir, 'efi1_VARS.fd')));

    const removed = await virsh(root, 'undefine', '--nvram', 'efi2');
    assert.equal([removed.code, removed.stdout], [0, "Domain 'efi2' has been undefined\n"]);
    assert.not.ok(existsSync(join(nvramDir, 'efi2_VARS.fd')));
    assert.is((await virsh(root, 'list', '--all', '--name')).stdout, '');
  }));

test.run();
