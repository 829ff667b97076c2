/** The shell's one connection: opened on the first command that needs it, replaced by `connect`. */
import { open, type Connection } from '@tsvirt/client';
import { CommandError, messageOf } from './errors.js';

export class Session {
  private current: Connection | undefined;

  constructor(
    private uri: string | undefined,
    private readonly_: boolean,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The open connection; a failure to open it reads as virsh's two error lines. */
  async connection(): Promise<Connection> {
    if (this.current && !this.current.isClosed) return this.current;
    this.current = undefined;
    try {
      this.current = await open(this.uri, { readonly: this.readonly_, env: this.env });
    } catch (err) {
      throw new CommandError('failed to connect to the hypervisor', messageOf(err));
    }
    return this.current;
  }

  /**
   * Closes the current connection and opens `uri`. The new URI sticks even when
   * opening it fails, so later commands retry it, as with virsh's `connect`.
   */
  async reconnect(uri: string | undefined, readonly: boolean): Promise<void> {
    await this.close();
    this.uri = uri;
    this.readonly_ = readonly;
    await this.connection();
  }

  async close(): Promise<void> {
    const connection = this.current;
    this.current = undefined;
    await connection?.close();
  }
}
