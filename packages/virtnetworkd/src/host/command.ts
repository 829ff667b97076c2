/**
 * Running host tools (ip, nft, dnsmasq) for the network realization: argv only, never a
 * shell. Everything takes a CommandRunner so unit tests can check argv and the real tests
 * can run the same code inside a network namespace (`ip netns exec NS ...`).
 */
import { execFile } from 'node:child_process';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

export interface CommandResult {
  stdout: string;
  exitCode: number;
}

export interface CommandOptions {
  /** Text written to the command's stdin (`nft -f -`). */
  input?: string;
  /** Exit codes that are not failures. */
  okExitCodes?: readonly number[];
  timeoutMs?: number;
}

export type CommandRunner = (argv: readonly string[], options?: CommandOptions) => Promise<CommandResult>;

export function commandFailed(argv: readonly string[], detail: string): VirError {
  return new VirError(
    ErrorCode.INTERNAL_ERROR,
    ErrorDomain.NETWORK,
    `Child process (${argv.join(' ')}) unexpected ${detail}`,
  );
}

export const runHostCommand: CommandRunner = (argv, options = {}) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { maxBuffer: 16 * 1024 * 1024, timeout: options.timeoutMs ?? 60_000 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, exitCode: 0 });
        const code = typeof err.code === 'number' ? err.code : undefined;
        if (code !== undefined && options.okExitCodes?.includes(code)) return resolve({ stdout, exitCode: code });
        const why = code !== undefined ? `exit status ${code}` : String(err.message);
        reject(commandFailed(argv, `${why}: ${stderr.trim()}`));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });

/** A runner that prefixes every command with `ip netns exec NS`: how the tests stay off the host. */
export function runnerInNamespace(namespace: string, base: CommandRunner = runHostCommand): CommandRunner {
  return (argv, options) => base(['ip', 'netns', 'exec', namespace, ...argv], options);
}
