/**
 * `console`: the guest's serial console on this terminal, through the daemon's stream
 * (virsh's cmdConsole). The terminal is raw, so every key, ^C included, goes to the
 * guest; ^] leaves. Without a terminal, input is copied as it comes and the command
 * ends with the guest's console.
 */
import type { Duplex } from 'node:stream';
import { DomainState, getDomainState, openDomainConsole, resumeDomain } from '@tsvirt/client';
import type { CommandDecl } from '../command.js';
import { CommandError } from '../errors.js';
import { describeError, domainArg } from './domain.js';

/** virsh's default escape character: ^] (Ctrl + ]). */
const ESCAPE_BYTE = 0x1d;
const ESCAPE_NAME = '^]';

type Outcome = { how: 'detached' | 'ended' } | { how: 'failed'; error: unknown };

/**
 * Joins this process's stdin and stdout to `stream` until ^] is typed or the stream ends.
 * Input listeners already there (the shell's readline) are set aside meanwhile, and the
 * terminal mode is put back as it was.
 */
function attach(stream: Duplex, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<Outcome> {
  const tty = input.isTTY === true;
  const wasRaw = tty && input.isRaw;
  const others = input.listeners('data') as Array<(chunk: Buffer) => void>;
  input.removeAllListeners('data');
  if (tty) input.setRawMode(true);
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      input.off('data', onInput);
      stream.unpipe(output);
      if (tty) input.setRawMode(wasRaw);
      if (others.length === 0) input.pause();
      for (const listener of others) input.on('data', listener);
      resolve(outcome);
    };
    const onInput = (chunk: Buffer): void => {
      const at = chunk.indexOf(ESCAPE_BYTE);
      if (at < 0) {
        stream.write(chunk);
        return;
      }
      if (at > 0) stream.write(chunk.subarray(0, at));
      finish({ how: 'detached' });
    };
    input.on('data', onInput);
    input.resume();
    stream.pipe(output, { end: false });
    stream.once('end', () => finish({ how: 'ended' }));
    stream.once('error', (error) => finish({ how: 'failed', error }));
  });
}

export const consoleCommand: CommandDecl = {
  name: 'console',
  group: 'domain',
  summary: 'connect to the guest console',
  description: 'Connect the virtual serial console for the guest',
  options: [
    { name: 'domain', type: 'string', required: true, positional: true, help: 'domain name, id or uuid' },
    { name: 'devname', type: 'string', help: 'character device name' },
    { name: 'force', type: 'bool', help: 'force console connection (disconnect already connected sessions)' },
    // Every console of tsvirt is exclusive, which is all that safe console handling asks.
    { name: 'safe', type: 'bool', help: 'only connect if safe console handling is supported' },
    { name: 'resume', type: 'bool', help: 'resume a paused guest after connecting to console' },
  ],
  async run(ctx) {
    const conn = await ctx.connection();
    const dom = await domainArg(conn, ctx.args.string('domain') ?? '');
    const { state } = await getDomainState(conn, dom.uuid);
    if (state === DomainState.SHUTOFF) throw new CommandError('The domain is not running');
    ctx.out.extra(`Connected to domain '${dom.name}'\n`);
    ctx.out.extra(`Escape character is ${ESCAPE_NAME} (Ctrl + ${ESCAPE_NAME.slice(1)})\n`);
    const devname = ctx.args.string('devname');
    let stream: Duplex;
    try {
      stream = await openDomainConsole(conn, dom.uuid, {
        ...(devname !== undefined ? { device: devname } : {}),
        force: ctx.args.bool('force'),
      });
    } catch (err) {
      throw new CommandError(describeError(err));
    }
    const outcome = attach(stream, process.stdin, process.stdout);
    if (ctx.args.bool('resume') && (await getDomainState(conn, dom.uuid)).state === DomainState.PAUSED) {
      try {
        await resumeDomain(conn, dom.uuid);
      } catch (err) {
        stream.destroy();
        await outcome;
        throw new CommandError('Failed to resume domain', describeError(err));
      }
    }
    const result = await outcome;
    if (result.how === 'failed') throw new CommandError(describeError(result.error));
    // Leaving: the daemon ends the session; the guest's last line may lack its line break.
    stream.end();
    if (result.how === 'detached') ctx.out.print('\n');
  },
};
