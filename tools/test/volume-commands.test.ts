/**
 * tsvirsh's volume commands as processes against a real virtstoraged, on a dir pool under
 * the test's temp root: create (raw, qcow2, on a backing volume, from XML, from another
 * volume), list, info, upload and download (whole, at an offset, sparse) compared byte for
 * byte, clone, resize, wipe, delete, the lookups, and the progress bar on a terminal only.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prettyCapacity } from '../src/tsvirsh/commands/storage-format.js';
import { TSVIRSH, envFor } from './helpers.js';
import { STORAGE_URI, ok, outcome, storageVirsh, withStorageDaemon } from './pool-daemon.js';

const MiB = 1024 * 1024;

/** vshTable as virsh prints it, written out independently of the code under test. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => ` ${i < cells.length - 1 ? c.padEnd(widths[i]! + 2) : c}`).join('') + '\n';
  return line(header) + '-'.repeat(widths.reduce((sum, w) => sum + w + 3, 0)) + '\n' + rows.map(line).join('');
}

/** What libvirt reports as a file's allocation: its blocks. */
const allocated = (path: string): number => statSync(path).blocks * 512;

/** A payload with markers and a stretch of noise between zeros, so that misplaced bytes show. */
function payload(size: number): Buffer {
  const buf = Buffer.alloc(size);
  buf.write('TSVIRT-VOL-MARKER-1', 0);
  for (let i = 0; i < 64 * 1024; i++) buf[MiB + i] = (i * 131 + 7) & 0xff;
  buf.write('TSVIRT-VOL-MARKER-2', 2 * MiB + 123);
  return buf;
}

/** Runs tsvirsh under `script`, so that its stdout and stderr are a terminal; returns what the terminal showed. */
function onTerminal(root: string, args: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, TSVIRSH, ...STORAGE_URI, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: envFor(root),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`script ${command} timed out: ${screen}`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

/** A running dir pool p1 under `root`; returns its directory. */
async function startPool(root: string): Promise<string> {
  const dir = join(root, 'p1');
  await ok(root, 'pool-define-as', 'p1', 'dir', '--target', dir);
  await ok(root, 'pool-build', 'p1');
  await ok(root, 'pool-start', 'p1');
  return dir;
}

test('create raw and qcow2 volumes; vol-list, --details and vol-info as virsh prints them', () =>
  withStorageDaemon(async (root) => {
    const run = (...args: string[]) => storageVirsh(root, args);
    const dir = await startPool(root);
    const raw = join(dir, 'raw.img');
    const qcow2 = join(dir, 'disk.qcow2');
    assert.equal(outcome(await run('vol-create-as', 'p1', 'raw.img', '8M')), [0, 'Vol raw.img created\n\n', '']);
    assert.equal(outcome(await run('vol-create-as', 'p1', 'disk.qcow2', '1G', '--format', 'qcow2')), [
      0,
      'Vol disk.qcow2 created\n\n',
      '',
    ]);
    assert.is(statSync(raw).size, 8 * MiB);
    assert.is(readFileSync(qcow2).subarray(0, 4).toString('latin1'), 'QFI\xfb', 'a qcow2 header');

    assert.equal(outcome(await run('vol-list', 'p1')), [
      0,
      `${table(
        ['Name', 'Path'],
        [
          ['disk.qcow2', qcow2],
          ['raw.img', raw],
        ],
      )}\n`,
      '',
    ]);
    assert.equal(outcome(await run('vol-list', 'p1', '--details')), [
      0,
      `${table(
        ['Name', 'Path', 'Type', 'Capacity', 'Allocation'],
        [
          ['disk.qcow2', qcow2, 'file', '1.00 GiB', prettyCapacity(allocated(qcow2))],
          ['raw.img', raw, 'file', '8.00 MiB', prettyCapacity(allocated(raw))],
        ],
      )}\n`,
      '',
    ]);
    assert.equal(outcome(await run('vol-info', 'raw.img', '--pool', 'p1')), [
      0,
      `Name:           raw.img\nType:           file\nCapacity:       8.00 MiB\nAllocation:     ${prettyCapacity(allocated(raw))}\n\n`,
      '',
    ]);
    assert.equal(outcome(await run('vol-info', '--bytes', qcow2)), [
      0,
      `Name:           disk.qcow2\nType:           file\nCapacity:       1073741824 bytes\nAllocation:     ${allocated(qcow2)} bytes\n\n`,
      '',
    ]);

    // a qcow2 on a backing volume named by its name in the pool
    assert.equal(
      outcome(
        await run(
          'vol-create-as',
          'p1',
          'overlay.qcow2',
          '1G',
          '--format',
          'qcow2',
          '--backing-vol',
          'disk.qcow2',
          '--backing-vol-format',
          'qcow2',
        ),
      ),
      [0, 'Vol overlay.qcow2 created\n\n', ''],
    );
    const overlay = await ok(root, 'vol-dumpxml', 'overlay.qcow2', '--pool', 'p1');
    assert.match(overlay, /<backingStore>\s*<path>([^<]+)<\/path>\s*<format type='qcow2'\/>/);
    assert.is(/<backingStore>\s*<path>([^<]+)<\/path>/.exec(overlay)?.[1], qcow2);

    // from XML, and from another volume converted to qcow2
    const xmlFile = join(root, 'fromxml.xml');
    writeFileSync(xmlFile, '<volume><name>fromxml.img</name><capacity>1048576</capacity></volume>\n');
    assert.equal(outcome(await run('vol-create', 'p1', xmlFile)), [
      0,
      `Vol fromxml.img created from ${xmlFile}\n\n`,
      '',
    ]);
    assert.is(statSync(join(dir, 'fromxml.img')).size, MiB);
    const fromFile = join(root, 'derived.xml');
    writeFileSync(
      fromFile,
      `<volume><name>derived.qcow2</name><capacity>${8 * MiB}</capacity><target><format type='qcow2'/></target></volume>\n`,
    );
    assert.equal(outcome(await run('vol-create-from', 'p1', fromFile, 'raw.img', '--inputpool', 'p1')), [
      0,
      'Vol derived.qcow2 created from input vol raw.img\n\n',
      '',
    ]);
    assert.match(await ok(root, 'vol-dumpxml', join(dir, 'derived.qcow2')), "<format type='qcow2'/>");

    assert.equal(outcome(await run('vol-create-as', 'p1', 'x', '1Q')), [
      1,
      '\n',
      "error: Malformed size 1Q\nerror: invalid argument: unknown suffix 'Q'\n",
    ]);
    assert.equal(outcome(await run('vol-create-as', 'p1', 'raw.img', '1M')).slice(0, 2), [1, '\n']);
    assert.match((await run('vol-create-as', 'p1', 'raw.img', '1M')).stderr, /^error: Failed to create vol raw.img\n/);
  }));

test('upload a file, download it back byte for byte; --offset/--length; --sparse both ways', () =>
  withStorageDaemon(async (root) => {
    const run = (...args: string[]) => storageVirsh(root, args);
    const dir = await startPool(root);
    await ok(root, 'vol-create-as', 'p1', 'raw.img', '8M');
    const data = payload(3 * MiB);
    const source = join(root, 'payload.bin');
    writeFileSync(source, data);

    assert.equal(outcome(await run('vol-upload', 'raw.img', source, '--pool', 'p1')), [0, '\n', '']);
    const expected = Buffer.concat([data, Buffer.alloc(5 * MiB)]);
    assert.ok(readFileSync(join(dir, 'raw.img')).equals(expected), 'the volume holds the payload, then its zeros');
    const out = join(root, 'out.bin');
    assert.equal(outcome(await run('vol-download', 'raw.img', out, '--pool', 'p1')), [0, '\n', '']);
    assert.ok(readFileSync(out).equals(expected), 'downloaded bytes are the volume');

    // resumable: a piece at an offset, read back alone
    const piece = join(root, 'piece.bin');
    writeFileSync(piece, 'OFFSET-MARKER');
    assert.equal(outcome(await run('vol-upload', join(dir, 'raw.img'), piece, '--offset', String(5 * MiB))), [
      0,
      '\n',
      '',
    ]);
    const part = join(root, 'part.bin');
    assert.equal(
      outcome(
        await run('vol-download', 'raw.img', part, '--pool', 'p1', '--offset', String(5 * MiB), '--length', '13'),
      ),
      [0, '\n', ''],
    );
    assert.is(readFileSync(part, 'latin1'), 'OFFSET-MARKER');
    expected.write('OFFSET-MARKER', 5 * MiB);

    // --sparse download: same bytes, holes left as holes
    const sparseOut = join(root, 'sparse.bin');
    assert.equal(outcome(await run('vol-download', 'raw.img', sparseOut, '--pool', 'p1', '--sparse')), [0, '\n', '']);
    assert.ok(readFileSync(sparseOut).equals(expected), 'sparse download has the same bytes');
    assert.ok(allocated(sparseOut) < 2 * MiB, `sparse download allocates ${allocated(sparseOut)} bytes`);

    // --sparse upload into an unallocated volume: the bytes arrive, the holes stay unallocated
    await ok(root, 'vol-create-as', 'p1', 'thin.img', '8M', '--allocation', '0');
    const sparseIn = join(root, 'sparse-in.bin');
    const thin = Buffer.alloc(8 * MiB);
    thin.write('THIN-START', 0);
    thin.write('THIN-END', 7 * MiB);
    writeFileSync(sparseIn, thin);
    assert.equal(outcome(await run('vol-upload', 'thin.img', sparseIn, '--pool', 'p1', '--sparse')), [0, '\n', '']);
    assert.ok(readFileSync(join(dir, 'thin.img')).equals(thin), 'sparse upload has the same bytes');
    assert.ok(allocated(join(dir, 'thin.img')) < MiB, `thin volume allocates ${allocated(join(dir, 'thin.img'))}`);

    assert.equal(outcome(await run('vol-upload', 'raw.img', join(root, 'nope.bin'), '--pool', 'p1')), [
      1,
      '\n',
      `error: cannot read ${join(root, 'nope.bin')}\n`,
    ]);
    assert.equal(outcome(await run('vol-download', 'raw.img', out, '--offset', '-1')), [
      1,
      '\n',
      "error: Numeric value '-1' for <offset> option is malformed or out of range\n",
    ]);
    // a failed download leaves no file it created
    const failed = join(root, 'failed.bin');
    const missing = await run('vol-download', 'missing.img', failed, '--pool', 'p1');
    assert.equal(outcome(missing), [
      1,
      '\n',
      "error: failed to get vol 'missing.img'\nerror: Storage volume not found: no storage vol with matching path 'missing.img'\n",
    ]);
    assert.is(existsSync(failed), false);
  }));

test('clone, resize, wipe and delete; lookups by name, key and path', () =>
  withStorageDaemon(async (root) => {
    const run = (...args: string[]) => storageVirsh(root, args);
    const dir = await startPool(root);
    await ok(root, 'vol-create-as', 'p1', 'raw.img', '8M');
    const source = join(root, 'payload.bin');
    writeFileSync(source, payload(3 * MiB));
    await ok(root, 'vol-upload', 'raw.img', source, '--pool', 'p1');
    const raw = join(dir, 'raw.img');
    const copy = join(dir, 'copy.img');

    assert.equal(outcome(await run('vol-clone', 'raw.img', 'copy.img', '--pool', 'p1')), [
      0,
      'Vol copy.img cloned from raw.img\n\n',
      '',
    ]);
    assert.ok(readFileSync(copy).equals(readFileSync(raw)), 'the clone has the same bytes');

    assert.equal(outcome(await run('vol-resize', 'copy.img', '16M', '--pool', 'p1')), [
      0,
      "Size of volume 'copy.img' successfully changed to 16M\n\n",
      '',
    ]);
    assert.is(statSync(copy).size, 16 * MiB);
    const shrinkRefused = await run('vol-resize', 'copy.img', '4M', '--pool', 'p1');
    assert.equal(outcome(shrinkRefused).slice(0, 2), [1, '\n']);
    assert.match(shrinkRefused.stderr, /^error: Failed to change size of volume 'copy.img' to 4M\nerror: .+\n$/);
    assert.equal(outcome(await run('vol-resize', 'copy.img', '-4M', '--pool', 'p1')), [
      1,
      '\n',
      'error: negative size requires --shrink\n',
    ]);
    assert.equal(outcome(await run('vol-resize', 'copy.img', '-4M', '--pool', 'p1', '--shrink')), [
      0,
      "Size of volume 'copy.img' successfully changed by 4M\n\n",
      '',
    ]);
    assert.equal(outcome(await run('vol-resize', copy, '+1M', '--delta')), [
      0,
      "Size of volume 'copy.img' successfully changed by +1M\n\n",
      '',
    ]);
    assert.equal(outcome(await run('vol-info', '--bytes', 'copy.img', '--pool', 'p1')).slice(0, 2), [
      0,
      `Name:           copy.img\nType:           file\nCapacity:       ${13 * MiB} bytes\nAllocation:     ${allocated(copy)} bytes\n\n`,
    ]);

    assert.equal(outcome(await run('vol-wipe', 'copy.img', '--pool', 'p1')), [0, 'Vol copy.img wiped\n\n', '']);
    assert.ok(readFileSync(copy).equals(Buffer.alloc(13 * MiB)), 'wiped: zeros, same size');
    assert.equal(outcome(await run('vol-wipe', 'copy.img', '--pool', 'p1', '--algorithm', 'foo')), [
      1,
      '\n',
      "error: Unsupported algorithm 'foo'\n",
    ]);

    const uuid = (await ok(root, 'pool-uuid', 'p1')).trim();
    const lookups: Array<[string[], string]> = [
      [['vol-path', 'raw.img', '--pool', 'p1'], raw],
      [['vol-key', 'raw.img', '--pool', 'p1'], raw],
      [['vol-path', raw], raw],
      [['vol-name', raw], 'raw.img'],
      [['vol-pool', raw], 'p1'],
      [['vol-pool', raw, '--uuid'], uuid],
    ];
    for (const [args, answer] of lookups)
      assert.equal(outcome(await run(...args)), [0, `${answer}\n\n`, ''], args.join(' '));
    assert.equal(outcome(await run('vol-name', 'raw.img')), [
      1,
      '\n',
      "error: failed to get vol 'raw.img'\nerror: Storage volume not found: no storage vol with matching path 'raw.img'\n",
    ]);
    assert.equal(outcome(await run('vol-info', 'raw.img')), [
      1,
      '\n',
      "error: failed to get vol 'raw.img', specifying --pool might help\n" +
        "error: Storage volume not found: no storage vol with matching path 'raw.img'\n",
    ]);
    assert.equal(outcome(await run('vol-info', 'raw.img', '--pool', 'nope')), [
      1,
      '\n',
      "error: failed to get pool 'nope'\nerror: Storage pool not found: no storage pool with matching name 'nope'\n",
    ]);

    assert.equal(outcome(await run('vol-delete', 'copy.img', '--pool', 'p1')), [0, 'Vol copy.img deleted\n\n', '']);
    assert.is(existsSync(copy), false);
    assert.equal(outcome(await run('vol-info', 'copy.img', '--pool', 'p1')), [
      1,
      '\n',
      "error: failed to get vol 'copy.img'\nerror: Storage volume not found: no storage vol with matching path 'copy.img'\n",
    ]);

    assert.equal(outcome(await run('pool-destroy', 'p1')), [0, 'Pool p1 destroyed\n\n', '']);
    assert.equal(outcome(await run('vol-info', 'raw.img', '--pool', 'p1')), [
      1,
      '\n',
      "error: pool 'p1' is not active\n",
    ]);
    assert.equal(outcome(await run('pool-undefine', 'p1')), [0, 'Pool p1 has been undefined\n\n', '']);
    assert.ok(existsSync(raw), 'undefining a pool leaves its volumes');
  }));

test('upload, download and clone draw a progress bar on a terminal, and nothing without one', () =>
  withStorageDaemon(async (root) => {
    await startPool(root);
    await ok(root, 'vol-create-as', 'p1', 'raw.img', '8M');
    const source = join(root, 'payload.bin');
    writeFileSync(source, payload(8 * MiB));

    const upload = await onTerminal(root, ['vol-upload', 'raw.img', source, '--pool', 'p1']);
    assert.is(upload.code, 0, upload.screen);
    // the last drawing pads over a longer one before it
    assert.match(upload.screen, /\rUploading: \[={30}\] 100 % {2}8\.00 MiB \/ 8\.00 MiB *\r\n/);
    const download = await onTerminal(root, ['vol-download', 'raw.img', join(root, 'out.bin'), '--pool', 'p1']);
    assert.is(download.code, 0, download.screen);
    assert.match(download.screen, /\rDownloading: \[={30}\] 100 % {2}8\.00 MiB \/ 8\.00 MiB *\r\n/);
    assert.ok(readFileSync(join(root, 'out.bin')).equals(readFileSync(source)));
    const clone = await onTerminal(root, ['vol-clone', 'raw.img', 'copy.img', '--pool', 'p1']);
    assert.is(clone.code, 0, clone.screen);
    // its total is the source's allocation, which depends on the filesystem
    assert.match(clone.screen, /\rCloning: \[={30}\] 100 % {2}(\d+\.\d\d [KMG]?i?B) \/ \1 *\r\n/);
    assert.match(clone.screen, 'Vol copy.img cloned from raw.img');

    // the same commands with stderr on a pipe: no bar
    for (const args of [
      ['vol-upload', 'raw.img', source, '--pool', 'p1'],
      ['vol-download', 'raw.img', join(root, 'out2.bin'), '--pool', 'p1'],
      ['vol-clone', 'raw.img', 'copy2.img', '--pool', 'p1'],
    ]) {
      const piped = await storageVirsh(root, args);
      assert.equal([piped.code, piped.stderr], [0, ''], args.join(' '));
    }
  }));

test.run();
