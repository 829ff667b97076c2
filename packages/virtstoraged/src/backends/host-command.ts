/**
 * Running the host tools the block-device backends need (mount, mkfs, blkid, lvm): argv
 * only, never a shell. Backends take a CommandRunner so that tests can check the exact
 * argv of operations the test machine cannot perform (an NFS mount without an NFS client).
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

export interface CommandOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not failures (blkid's 2: nothing found). */
  okExitCodes?: readonly number[];
}

export interface CommandResult {
  stdout: string;
  exitCode: number;
}

export type CommandRunner = (argv: readonly string[], options?: CommandOptions) => Promise<CommandResult>;

/** Default limit: mkfs of a large device or an lvm command waiting for its lock can take a while. */
const DEFAULT_TIMEOUT_MS = 300_000;

/** A failed command, as libvirt's virCommandRun reports it: the command and what it printed. */
export function commandFailed(argv: readonly string[], detail: string): VirError {
  return new VirError(
    ErrorCode.INTERNAL_ERROR,
    ErrorDomain.STORAGE,
    `Child process (${argv.join(' ')}) unexpected ${detail}`,
    { str1: detail },
  );
}

export const runHostCommand: CommandRunner = async (argv, options = {}) => {
  const tool = argv[0]!;
  const file = tool.includes('/') ? tool : ((await findTool(tool)) ?? tool);
  return new Promise((resolve, reject) => {
    execFile(
      file,
      argv.slice(1),
      {
        maxBuffer: 16 * 1024 * 1024,
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        env: { ...process.env, ...options.env },
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, exitCode: 0 });
          return;
        }
        const code = typeof err.code === 'number' ? err.code : undefined;
        if (code !== undefined && options.okExitCodes?.includes(code)) {
          resolve({ stdout, exitCode: code });
          return;
        }
        const what = code !== undefined ? `exit status ${code}` : `failure (${err.message})`;
        const output = stderr.trim();
        reject(commandFailed(argv, output ? `${what}: ${output}` : what));
      },
    );
  });
};

/** The sbin directories too: the daemon's PATH may lack them, and mount, mkfs and lvm live there. */
const EXTRA_TOOL_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The full path of `tool` on PATH (or in the sbin directories), or undefined when it is not installed. */
export async function findTool(tool: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_TOOL_DIRS];
  for (const dir of dirs) {
    const path = join(dir, tool);
    try {
      await access(path, fsConstants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Refuses, naming every missing tool and its package, when one of `tools` is not installed. */
export async function requireTools(poolType: string, tools: Readonly<Record<string, string>>): Promise<void> {
  const missing: string[] = [];
  for (const [tool, pkg] of Object.entries(tools)) {
    if (!(await findTool(tool))) missing.push(`${tool} (${pkg})`);
  }
  if (missing.length > 0) {
    throw new VirError(
      ErrorCode.OPERATION_INVALID,
      ErrorDomain.STORAGE,
      `storage pool type '${poolType}' needs ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed`,
    );
  }
}
