/**
 * Persistent XML configs of one kind of object (pools, networks, ...), one file per name:
 *
 *   <dir>/<name>.xml             the definition (crash-safe write, see atomic-file.ts)
 *   <dir>/autostart/<name>.xml   symlink to ../<name>.xml when the object autostarts
 *
 * Loading skips and logs anything it cannot read: one bad file never stops the daemon.
 * The driver supplies its name check, its parser and its formatter.
 */
import { lstat, mkdir, readdir, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TEMP_PREFIX, atomicWriteFile, syncDir, unlinkIfPresent, type AtomicWriteHooks } from './atomic-file.js';

export interface XmlConfigCodec<Def extends { name: string }> {
  /** What the files hold, for log lines: `pool`, `network`. */
  kind: string;
  /** Throws for a name that cannot be a file name. */
  assertName: (name: string) => void;
  parse: (xml: string) => Def;
  format: (def: Def) => string;
}

export interface LoadedConfig<Def> {
  def: Def;
  autostart: boolean;
}

/**
 * Every readable `<name>.xml` of `dir`, in name order; temp files a crash left are
 * removed, and a file that does not parse or names another object is logged and skipped.
 */
export async function readXmlDefs<Def extends { name: string }>(
  dir: string,
  codec: Pick<XmlConfigCodec<Def>, 'kind' | 'parse'>,
  log: Logger,
): Promise<Def[]> {
  const defs: Def[] = [];
  for (const entry of (await readdir(dir)).sort()) {
    const path = join(dir, entry);
    if (entry.startsWith(TEMP_PREFIX)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (!entry.endsWith('.xml')) continue;
    try {
      if (!(await lstat(path)).isFile()) continue;
      const def = codec.parse(await readFile(path, 'utf8'));
      if (`${def.name}.xml` !== entry) throw new Error(`it defines ${codec.kind} '${def.name}'`);
      defs.push(def);
    } catch (err) {
      log.error({ file: path, err: (err as Error).message }, `skipping unreadable ${codec.kind} file`);
    }
  }
  return defs;
}

export class XmlConfigStore<Def extends { name: string }> {
  readonly autostartDir: string;

  constructor(
    readonly configDir: string,
    private readonly codec: XmlConfigCodec<Def>,
    private readonly log: Logger,
    private readonly hooks: AtomicWriteHooks = {},
  ) {
    this.autostartDir = join(configDir, 'autostart');
  }

  configPath(name: string): string {
    this.codec.assertName(name);
    return join(this.configDir, `${name}.xml`);
  }

  autostartPath(name: string): string {
    this.codec.assertName(name);
    return join(this.autostartDir, `${name}.xml`);
  }

  async init(): Promise<void> {
    await mkdir(this.autostartDir, { recursive: true, mode: 0o700 });
  }

  async save(def: Def): Promise<void> {
    const path = this.configPath(def.name);
    await this.init();
    await atomicWriteFile(path, this.configDir, this.codec.format(def), this.hooks);
  }

  /** The autostart link first, so a crash never leaves a link a new object of that name would inherit. */
  async remove(name: string): Promise<void> {
    unlinkIfPresent(this.autostartPath(name));
    unlinkIfPresent(this.configPath(name));
    await syncDir(this.configDir);
  }

  async setAutostart(name: string, autostart: boolean): Promise<void> {
    const link = this.autostartPath(name);
    await this.init();
    if (!autostart) {
      await rm(link, { force: true });
    } else {
      try {
        await symlink(`../${name}.xml`, link);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    await syncDir(this.autostartDir);
  }

  /** Every readable config with its autostart flag, in name order. */
  async load(): Promise<Array<LoadedConfig<Def>>> {
    await this.init();
    const loaded: Array<LoadedConfig<Def>> = [];
    for (const def of await readXmlDefs(this.configDir, this.codec, this.log)) {
      loaded.push({ def, autostart: await this.hasAutostart(def.name) });
    }
    return loaded;
  }

  private async hasAutostart(name: string): Promise<boolean> {
    try {
      return (await lstat(this.autostartPath(name))).isSymbolicLink();
    } catch {
      return false;
    }
  }
}
