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
  resumeDomain,
  startDomain,
  undefineDomain,
} from '@tsvirt/client';
import { rejectionOf, waitFor } from '@tsvirt/common/testing';
import { guestXml, serialText, withGuestDaemon, type GuestOptions } from './real-guest.js';

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const BOOT_MS = 120_000;

const uefiGuestXml = (options: Pick<GuestOptions, 'name' | 'serialLog' | 'firmware' | 'os'>): string =>
  guestXml({ ...options, devices: "<memballoon model='none'/>" });

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('the test guest boots under OVMF; its vars file comes from the template once and is reused', () =>
  withGuestDaemon(async (g) => {
    const serialLog = join(g.root, 'serial.log');
    const nvram = join(g.root, 'lib', 'virtqemud', 'nvram', 'uefi-guest_VARS.fd');
    const conn = await g.connect();
    const os = `<loader readonly='yes' type='pflash'>${OVMF_CODE}</loader>`;
    const dom = await defineDomain(conn, uefiGuestXml({ name: 'uefi-guest', serialLog, os }));
    const inactive = await getDomainXML(conn, dom.uuid, { inactive: true });
    assert.match(inactive, `<loader readonly='yes' type='pflash'>${OVMF_CODE}</loader>`);
    assert.match(inactive, `<nvram template='${OVMF_VARS}'>${nvram}</nvram>`, 'default vars path and template');
    assert.not.ok(existsSync(nvram), 'no vars file before the first start');

    let started = Date.now();
    await startDomain(conn, dom.uuid);
    assert.ok(existsSync(nvram), 'the vars file exists once start returns');
    assert.is(statSync(nvram).size, statSync(OVMF_VARS).size, "the template's size");
    assert.is(statSync(nvram).mode & 0o777, 0o600, "readable by the daemon's user only");
    await waitFor(() => serialText(serialLog).includes('TSVIRT-GUEST-READY'), BOOT_MS, 'the guest under OVMF');
    const firstBoot = Date.now() - started;
    // Only UEFI runs the kernel through its EFI stub; SeaBIOS would start it the legacy way.
    assert.match(serialText(serialLog), 'EFI stub: ', 'started by OVMF');
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
      () => serialText(serialLog).includes('TSVIRT-GUEST-READY'),
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
  }));

test("<os firmware='efi'> resolves to the installed descriptor's files; --keep-nvram keeps the vars", () =>
  withGuestDaemon(async (g) => {
    const serialLog = join(g.root, 'serial.log');
    const nvram = join(g.root, 'lib', 'virtqemud', 'nvram', 'efi-auto_VARS.fd');
    const conn = await g.connect();
    const dom = await defineDomain(conn, uefiGuestXml({ name: 'efi-auto', serialLog, firmware: 'efi' }));
    const xml = await getDomainXML(conn, dom.uuid, { inactive: true });
    assert.match(xml, "<os firmware='efi'>");
    // Debian's 60-edk2-x86_64.json: the one non-secure-boot build for i440fx.
    assert.match(xml, `<loader readonly='yes' type='pflash'>${OVMF_CODE}</loader>`);
    assert.match(xml, `<nvram template='${OVMF_VARS}'>${nvram}</nvram>`);
    await startDomain(conn, dom.uuid);
    await waitFor(() => serialText(serialLog).includes('TSVIRT-GUEST-BOOTED'), BOOT_MS, 'the guest under OVMF');
    assert.match(serialText(serialLog), 'EFI stub: ', 'started by OVMF');
    await destroyDomain(conn, dom.uuid);
    assert.ok(existsSync(nvram));
    await undefineDomain(conn, dom.uuid, { keepNvram: true });
    assert.ok(existsSync(nvram), '--keep-nvram leaves the vars file');
    assert.is((await listAllDomains(conn, { inactive: true })).length, 0);
  }));

test.run();
