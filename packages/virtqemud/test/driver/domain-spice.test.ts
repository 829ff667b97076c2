/**
 * Autoport SPICE against real QEMUs (kvm, no OS): a port from the VNC pool in the live XML,
 * a SPICE server that answers a link message with its REDQ reply, two domains on two ports,
 * the port released at destroy and handed out again, and a restarted driver that finds it.
 */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@tsvirt/common/testing';
import { formatDomainDef } from '../../src/conf/domain-xml.js';
import { buildQemuCommandLine } from '../../src/qemu/command-line/index.js';
import { portIsFree } from '../loopback-ports.js';
import { UUID_A, UUID_B } from './helpers.js';
import { UUID_C, withHarness } from './qemu-harness.js';

function spiceDomainXml(name: string, uuid: string, graphics: string): string {
  return `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    ${graphics}
    <video><model type='qxl'/></video>
    <memballoon model='none'/>
  </devices>
</domain>`;
}

const SPICE =
  "<graphics type='spice' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>";
const VNC = "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>";

/** A SpiceLinkMess for the main channel with no caps behind its RedLinkHeader ("REDQ" 2.2 + 18 bytes). */
function spiceLinkMess(): Buffer {
  const mess = Buffer.alloc(18);
  mess.writeUInt32LE(0, 0); // connection_id: a new session
  mess.writeUInt8(1, 4); // channel_type: SPICE_CHANNEL_MAIN
  mess.writeUInt8(0, 5); // channel_id
  mess.writeUInt32LE(0, 6); // num_common_caps
  mess.writeUInt32LE(0, 10); // num_channel_caps
  mess.writeUInt32LE(18, 14); // caps_offset: right after this struct
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(mess.length, 12);
  return Buffer.concat([header, mess]);
}

/** Sends the link message and reads the server's RedLinkHeader and SpiceLinkReply error code back. */
function spiceLink(port: number): Promise<{ magic: string; major: number; error: number }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no SPICE reply on port ${port}`));
    }, 10_000);
    sock.on('connect', () => sock.write(spiceLinkMess()));
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 20) return;
      clearTimeout(timer);
      sock.destroy();
      resolve({
        magic: got.subarray(0, 4).toString('latin1'),
        major: got.readUInt32LE(4),
        error: got.readUInt32LE(16),
      });
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

test('autoport SPICE: live port from 5900, REDQ link reply, two domains two ports, freed at destroy', () =>
  withHarness(async (h) => {
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    await driver.defineXML(spiceDomainXml('spice1', UUID_A, SPICE));
    // A VNC display draws from the same pool: it never gets a SPICE domain's port.
    await driver.defineXML(spiceDomainXml('spice2', UUID_B, `${SPICE}${VNC}`));
    const started = Date.now();
    await driver.create(UUID_A);
    await driver.create(UUID_B);
    const a = driver.list.getByUuid(UUID_A);
    const b = driver.list.getByUuid(UUID_B);
    const portA = a.def.devices.graphics[0]?.port ?? -1;
    const portB = b.def.devices.graphics[0]?.port ?? -1;
    const vncB = b.def.devices.graphics[1]?.port ?? -1;
    assert.ok(portA >= 5900 && portB >= 5900 && vncB >= 5900, `ports ${portA} ${portB} ${vncB}`);
    assert.is(new Set([portA, portB, vncB]).size, 3, `three distinct ports: ${portA} ${portB} ${vncB}`);
    const live = formatDomainDef(a.def, {});
    assert.match(live, `<graphics type='spice' port='${portA}' autoport='yes' listen='127.0.0.1'>`);
    assert.match(live, "<listen type='address' address='127.0.0.1'/>");
    assert.match(live, "<model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>");
    assert.is(a.persistentDef.devices.graphics[0]?.port, -1, 'the saved definition keeps autoport');

    for (const port of [portA, portB]) {
      const reply = await spiceLink(port);
      assert.equal(reply, { magic: 'REDQ', major: 2, error: 0 }, `SPICE server on ${port}`);
    }
    process.stdout.write(
      `  two SPICE domains up and answering in ${Date.now() - started} ms: ports ${portA}, ${portB}\n`,
    );

    // A restarted driver finds the port in the status file and keeps it allocated.
    driver.close();
    const again = await h.driver({ buildCommandLine: buildQemuCommandLine });
    assert.is(again.list.getByUuid(UUID_A).def.devices.graphics[0]?.port, portA);
    await again.defineXML(spiceDomainXml('spice3', UUID_C, SPICE));
    await again.create(UUID_C);
    const portC = again.list.getByUuid(UUID_C).def.devices.graphics[0]?.port ?? -1;
    assert.ok(![portA, portB, vncB].includes(portC), `third port ${portC}`);
    await again.destroy(UUID_C);

    await again.destroy(UUID_A);
    await waitFor(() => portIsFree(portA), 5000, `port ${portA} to be free after destroy`);
    await again.create(UUID_A);
    assert.is(again.list.getByUuid(UUID_A).def.devices.graphics[0]?.port, portA, 'a released port is reused');
    assert.equal(await spiceLink(portA), { magic: 'REDQ', major: 2, error: 0 });
    await again.destroy(UUID_A);
    await again.destroy(UUID_B);
  }));

/**
 * A whole SPICE link with a ticket: the server's RSA key from the SpiceLinkReply encrypts the
 * password (OAEP, as spice-gtk does); the 32-bit link result is 0 for the right password and
 * SPICE_LINK_ERR_PERMISSION_DENIED (7) otherwise.
 */
function spiceLogin(port: number, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    let replyEnd = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no SPICE login answer on port ${port}`));
    }, 10_000);
    sock.on('connect', () => sock.write(spiceLinkMess()));
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (replyEnd === 0 && got.length >= 16) {
        const size = got.readUInt32LE(12);
        if (got.length < 16 + size) return;
        replyEnd = 16 + size;
        const key = got.subarray(20, 20 + 162);
        const ticket = publicEncrypt(
          { key: createPublicKey({ key, format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING },
          Buffer.from(`${password}\0`, 'latin1'),
        );
        sock.write(ticket);
      }
      if (replyEnd > 0 && got.length >= replyEnd + 4) {
        clearTimeout(timer);
        sock.destroy();
        resolve(got.readUInt32LE(replyEnd));
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

test('a SPICE passwd is set over QMP before the guest runs: right ticket accepted, wrong one refused', () =>
  withHarness(async (h) => {
    const driver = await h.driver({ buildCommandLine: buildQemuCommandLine });
    const graphics = SPICE.replace("autoport='yes'", "autoport='yes' passwd='0pen-5esame'");
    await driver.defineXML(spiceDomainXml('spice-pw', UUID_A, graphics));
    await driver.create(UUID_A);
    const port = driver.list.getByUuid(UUID_A).def.devices.graphics[0]?.port ?? -1;
    assert.is(await spiceLogin(port, '0pen-5esame'), 0, 'SPICE_LINK_ERR_OK');
    assert.is(await spiceLogin(port, 'wrong'), 7, 'SPICE_LINK_ERR_PERMISSION_DENIED');
    await driver.destroy(UUID_A);
  }));

test.run();
