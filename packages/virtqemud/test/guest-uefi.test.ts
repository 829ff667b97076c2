/**
 * UEFI for real through virtqemud: the test guest boots under OVMF (pflash code + per-domain
 * vars, direct kernel boot through fw_cfg, TCG), its vars file is created from the template at
 * the first start and reused untouched at the next, `<os firmware='efi'>` resolves to the
 * installed ovmf descriptor's files, and undefine refuses to drop a vars file silently.
 * TCG + OVMF is slow: each boot gets 120 s.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '@tsvirt/common';
import {
  defineDomain,
  destroyDomain,
  getDomainXML,
  listAllDomains,
  open,
  resumeDomain,
  startDomain,
  undefineDomain,
} from '@tsvirt/client';
import {
  killProcessesMentioning,
  makeTempRoot,
  rejectionOf,
  removeTempRoot,
  spawnNamedDaemon,
  waitFor,
} from '@tsvirt/common/testing';
import { ensureTestGuest } from './test-guest.js';

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const BOOT_MS = 120_000;

function uefiGuestXml(name: string, os: string, serialLog: string): string {
  const { kernel, initrd } = ensureTestGuest();
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  ${os.replace(
    '<BOOT/>',
    `<type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${kernel}</kernel>
    <initrd>${initrd}</initrd>
    <cmdline>console=ttyS0 panic=-1</cmdline>`,
  )}
  <features><acpi/></features>
  <devices>
    <serial type='file'><source path='${serialLog}'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>`;
}

const serialOf = (path: string): string => (existsSync(path) ? readFileSync(path, 'latin1') : '');
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('the test guest boots under OVMF; its vars file comes from the template once and is reused', async () => {
  const root = makeTempRoot();
  const serialLog = join(root, 'serial.log');
  const nvram = join(root, 'lib', 'virtqemud', 'nvram', 'uefi-guest_VARS.fd');
  const daemon = await spawnNamedDaemon('virtqemud', root);
  try {
    const conn = await open('qemu:///session', { env: { ...process.env, TSVIRT_ROOT: root } });
    const os = `<os><BOOT/><loader readonly='yes' type='pflash'>${OVMF_CODE}</loader></os>`;
    const dom = await defineDomain(conn, uefiGuestXml('uefi-guest', os, serialLog));
    const inactive = await getDomainXML(conn, dom.uuid, { inactive: true });
    assert.match(inactive, `<loader readonly='yes' type='pflash'>${OVMF_CODE}</loader>`);
    assert.match(inactive, `<nvram template='${OVMF_VARS}'>${nvram}</nvram>`, 'default vars path and template');
    assert.not.ok(existsSync(nvram), 'no vars file before the first start');

    let started = Date.now();
    await startDomain(conn, dom.uuid);
    assert.ok(existsSync(nvram), 'the vars file exists once start returns');
    assert.is(statSync(nvram).size, statSync(OVMF_VARS).size, "the template's size");
    assert.is(statSync(nvram).mode & 0o777, 0o600, "readable by the daemon's user only");
    await waitFor(() => serialOf(serialLog).includes('TSVIRT-GUEST-READY'), BOOT_MS, 'the guest under OVMF');
    const firstBoot = Date.now() - started;
    // Only UEFI runs the kernel through its EFI stub; SeaBIOS would start it the legacy way.
    assert.match(serialOf(serialLog), 'EFI stub: ', 'started by OVMF');
    assert.match(await getDomainXML(conn, dom.uuid), `<nvram template='${OVMF_VARS}'>${nvram}</nvram>`);
    await destroyDomain(conn, dom.uuid);

    // What the guest's firmware left in its vars, dated in the past: a copy over it would change both.
    const past = new Date('2020-01-01T00:00:00Z');
    utimesSync(nvram, past, past);
    const before = sha(nvram);
    await startDomain(conn, dom.uuid, { paused: true });
    assert.is(sha(nvram), before, 'the second start reuses the vars file');
    assert.is(statSync(nvram).mtimeMs, past.getTime(), 'not rewritten');
    started = Date.now();
    await resumeDomain(conn, dom.uuid);
    await waitFor(
      () => serialOf(serialLog).includes('TSVIRT-GUEST-READY'),
      BOOT_MS,
      'the guest under OVMF, second boot',
    );
    const secondBoot = Date.now() - started;
    await destroyDomain(conn, dom.uuid);

    // undefine: refused while the vars file exists, unless told what to do with it.
    const refused = await rejectionOf(undefineDomain(conn, dom.uuid));
    assert.is(refused.code, ErrorCode.OPERATION_INVALID);
    assert.is(refused.message, 'cannot undefine domain with nvram');
    const both = await rejectionOf(undefineDomain(conn, dom.uuid, { nvram: true, keepNvram: true }));
    assert.is(both.message, 'cannot both keep and delete nvram');
    assert.is((await listAllDomains(conn, { inactive: true })).length, 1, 'still defined');
    await undefineDomain(conn, dom.uuid, { nvram: true });
    assert.not.ok(existsSync(nvram), '--nvram deletes the vars file');
    assert.is((await listAllDomains(conn, { inactive: true })).length, 0);
    process.stdout.write(`  OVMF boot to READY: first ${firstBoot} ms, second ${secondBoot} ms\n`);
    await conn.close();
  } finally {
    await daemon.stop();
    killProcessesMentioning(root);
    removeTempRoot(root);
  }
});

test("<os firmware='efi'> resolves to the installed descriptor's files; --keep-nvram keeps the vars", async () => {
  const root = makeTempRoot();
  const serialLog = join(root, 'serial.log');
  const nvram = join(root, 'lib', 'virtqemud', 'nvram', 'efi-auto_VARS.fd');
  const daemon = await spawnNamedDaemon('virtqemud', root);
  try {
    const conn = await open('qemu:///session', { env: { ...process.env, TSVIRT_ROOT: root } });
    const dom = await defineDomain(conn, uefiGuestXml('efi-auto', "<os firmware='efi'><BOOT/></os>", serialLog));
    const xml = await getDomainXML(conn, dom.uuid, { inactive: true });
    assert.match(xml, "<os firmware='efi'>");
    // Debian's 60-edk2-x86_64.json: the one non-secure-boot build for i440fx.
    assert.match(xml, `<loader readonly='yes' type='pflash'>${OVMF_CODE}</loader>`);
    assert.match(xml, `<nvram template='${OVMF_VARS}'>${nvram}</nvram>`);
    await startDomain(conn, dom.uuid);
    await waitFor(() => serialOf(serialLog).includes('TSVIRT-GUEST-BOOTED'), BOOT_MS, 'the guest under OVMF');
    assert.match(serialOf(serialLog), 'EFI stub: ', 'started by OVMF');
    await destroyDomain(conn, dom.uuid);
    assert.ok(existsSync(nvram));
    await undefineDomain(conn, dom.uuid, { keepNvram: true });
    assert.ok(existsSync(nvram), '--keep-nvram leaves the vars file');
    assert.is((await listAllDomains(conn, { inactive: true })).length, 0);
    await conn.close();
  } finally {
    await daemon.stop();
    killProcessesMentioning(root);
    removeTempRoot(root);
  }
});

test.run();
