/**
 * virsh-edit.c's loop, shared by `edit` and `pool-edit`: the inactive XML goes to a temp
 * file, the user's $VISUAL, $EDITOR or vi edits it, and a changed file is defined again,
 * which validates it. A failed define asks "Try again? [y,n,f,?]": y edits the same file
 * again, n throws the changes away, f defines it again as it is. There is no `i` (define
 * without validation): the define procedures always validate. On a terminal the answer is
 * one key; from a pipe it is one line.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { CommandError, messageOf } from '../errors.js';
import type { Output } from '../output.js';

/** virsh's DEFAULT_EDITOR. */
const DEFAULT_EDITOR = 'vi';
/** Characters that need no shell quoting (virsh's ACCEPTED_CHARS): such an editor runs without a shell. */
const PLAIN_WORD = /^[A-Za-z0-9_.:@/-]+$/;

/** The user said `n`: the error was printed before the question, so nothing more is. */
class EditAbandoned extends CommandError {
  override readonly lines: readonly string[] = [];
  constructor() {
    super('edit abandoned');
  }
}

/** virsh's vshEditWriteToTempFile: `$TMPDIR/tsvirshXXXXXX.xml`, created exclusively, mode 0600. */
function writeTempFile(doc: string): string {
  const dir = process.env.TMPDIR || tmpdir();
  for (let attempt = 0; ; attempt++) {
    const file = join(dir, `tsvirsh${randomBytes(4).toString('hex').slice(0, 6)}.xml`);
    try {
      writeFileSync(file, doc, { flag: 'wx', mode: 0o600 });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 10) continue;
      throw new CommandError(`${file}: failed to create temporary file: ${messageOf(err)}`);
    }
  }
}

/** virsh's vshEditFile: runs the editor on `file` with the terminal, and fails unless it exits 0. */
async function runEditor(file: string): Promise<void> {
  const editor = process.env.VISUAL || process.env.EDITOR || DEFAULT_EDITOR;
  let argv: string[];
  if (PLAIN_WORD.test(editor)) {
    argv = [editor, file];
  } else {
    // An editor with options or shell syntax runs through sh, so the file name must need no quoting.
    if (!PLAIN_WORD.test(file)) {
      throw new CommandError(
        `${file}: temporary filename contains shell meta or other unacceptable characters (is $TMPDIR wrong?)`,
      );
    }
    argv = ['sh', '-c', `${editor} ${file}`];
  }
  // The shell's line editor must not read the keys meant for the editor, nor keep the terminal raw.
  const stdin = process.stdin;
  const wasFlowing = stdin.readableFlowing === true;
  const wasRaw = stdin.isTTY && stdin.isRaw;
  if (wasFlowing) stdin.pause();
  if (wasRaw) stdin.setRawMode(false);
  const status = await new Promise<number | string>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  })
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new CommandError(`Cannot find '${argv[0]}' in path: No such file or directory`);
      throw new CommandError(`Cannot run '${argv[0]}': ${err.message}`);
    })
    .finally(() => {
      if (wasRaw) stdin.setRawMode(true);
      if (wasFlowing) stdin.resume();
    });
  if (status !== 0) {
    throw new CommandError(`Child process (${argv.join(' ')}) unexpected exit status ${status}`);
  }
}

function readBack(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandError(`${file}: failed to read temporary file: ${messageOf(err)}`);
  }
}

type Answer = 'y' | 'n' | 'f';

/** The answers to "Try again?": keys on a terminal, lines from a pipe; end of input means `n`. */
class AnswerReader {
  private lines: Interface | undefined;
  private pending: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;

  async next(): Promise<string | undefined> {
    const stdin = process.stdin;
    if (stdin.isTTY) return this.key(stdin);
    if (!this.lines) {
      this.lines = createInterface({ input: stdin, terminal: false });
      this.lines.on('line', (line) => this.deliver(line));
      this.lines.on('close', () => {
        this.ended = true;
        this.deliver(undefined);
      });
    }
    if (this.pending.length > 0) return this.pending.shift();
    if (this.ended) return undefined;
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private deliver(line: string | undefined): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(line);
    else if (line !== undefined) this.pending.push(line);
  }

  /** One key in raw mode, as virsh's vshAskReedit reads it. */
  private key(stdin: NodeJS.ReadStream): Promise<string | undefined> {
    stdin.setRawMode(true);
    stdin.resume();
    return new Promise((resolve) => {
      const done = (chunk: Buffer | undefined): void => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.setRawMode(false);
        stdin.pause();
        resolve(chunk === undefined ? undefined : chunk.toString('utf8', 0, 1));
      };
      const onData = (chunk: Buffer): void => done(chunk);
      const onEnd = (): void => done(undefined);
      stdin.on('data', onData);
      stdin.on('end', onEnd);
    });
  }

  close(): void {
    this.lines?.close();
    process.stdin.pause();
  }
}

/** virsh's vshAskReedit without the `i` choice: prints `msg` and asks until it gets y, n or f. */
async function askReedit(out: Output, answers: AnswerReader, msg: string): Promise<Answer> {
  const eol = process.stdin.isTTY ? '\r\n' : '\n';
  for (;;) {
    out.print(`\r${msg} Try again? [y,n,f,?]: `);
    const reply = await answers.next();
    if (reply === undefined) {
      out.print(eol);
      return 'n';
    }
    const c = reply.trim().charAt(0).toLowerCase();
    if (c === '?') {
      out.print(
        [
          '',
          'y - yes, start editor again',
          'n - no, throw away my changes',
          'f - force, try to redefine again',
          '? - print this help',
          '',
        ].join(eol),
      );
      continue;
    }
    if (c === 'y' || c === 'n' || c === 'f') {
      out.print(eol);
      return c;
    }
  }
}

/** What one kind of object brings to the loop (virsh-edit.c's EDIT_GET_XML, EDIT_DEFINE, EDIT_NOT_CHANGED). */
export interface EditTarget {
  /** The inactive XML as it is now. */
  getXml(): Promise<string>;
  /** Defines the edited XML; resolves to the "edited" line, or throws the define's error. */
  define(xml: string): Promise<string>;
  /** The line printed when the file comes back unchanged. */
  notChanged: string;
  /** How a define error is shown before "Failed." (the libvirt prefix of its code). */
  describeError(err: unknown): string;
}

/** The edit loop of virsh-edit.c; resolves once the object is redefined or left unchanged. */
async function editLoop(target: EditTarget, out: Output, answers: AnswerReader): Promise<void> {
  let doc = await target.getXml();
  const file = writeTempFile(doc);
  try {
    let edit = true;
    let edited = '';
    for (;;) {
      if (edit) {
        await runEditor(file);
        edited = readBack(file);
        if (edited === doc) {
          out.extra(`${target.notChanged}\n`);
          return;
        }
      }
      // Did someone else change it while it was being edited?
      let msg: string | undefined;
      const reread = await target.getXml();
      if (reread !== doc) {
        msg = 'The XML configuration was changed by another user.';
        doc = reread;
      } else {
        try {
          out.extra(`${await target.define(edited)}\n`);
          return;
        } catch (err) {
          out.error(target.describeError(err));
          msg = 'Failed.';
        }
      }
      const answer = await askReedit(out, answers, msg);
      if (answer === 'n') throw new EditAbandoned();
      edit = answer === 'y';
    }
  } finally {
    rmSync(file, { force: true });
  }
}

/** Runs the edit loop on `target`, with the "Try again?" answers read from stdin. */
export async function editXml(target: EditTarget, out: Output): Promise<void> {
  const answers = new AnswerReader();
  try {
    await editLoop(target, out, answers);
  } finally {
    answers.close();
  }
}
