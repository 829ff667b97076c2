/** The handlers a server answers with, keyed by procedure number. */
import type { Logger } from 'pino';
import type { ArgsOf, ProcedureDecl, ResultOf } from '../protocol/procedure.js';
import type { RpcStream } from '../rpc/rpc-stream.js';
import type { ServerClient } from './server-client.js';

export interface CallContext {
  readonly client: ServerClient;
  readonly procedure: ProcedureDecl;
  readonly serial: number;
  /** Set for procedures declared with a `stream`: the stream opened by this call. */
  readonly stream: RpcStream | undefined;
  readonly log: Logger;
}

export type ProcedureHandler<P extends ProcedureDecl> = (
  args: ArgsOf<P>,
  context: CallContext,
) => ResultOf<P> | Promise<ResultOf<P>>;

export interface RegisteredProcedure {
  readonly decl: ProcedureDecl;
  readonly handler: ProcedureHandler<ProcedureDecl>;
}

export class ProcedureTable {
  private readonly byNumber = new Map<number, RegisteredProcedure>();

  /** `main` serves the read-write and read-only sockets, `admin` the admin socket. */
  constructor(readonly socket: 'main' | 'admin') {}

  register<P extends ProcedureDecl>(decl: P, handler: ProcedureHandler<P>): this {
    if (decl.socket !== 'any' && decl.socket !== this.socket) {
      throw new Error(`${decl.name} is declared for the ${decl.socket} socket, not the ${this.socket} one`);
    }
    const existing = this.byNumber.get(decl.number);
    if (existing) throw new Error(`procedure ${decl.number} registered twice (${existing.decl.name}, ${decl.name})`);
    this.byNumber.set(decl.number, { decl, handler: handler as unknown as ProcedureHandler<ProcedureDecl> });
    return this;
  }

  lookup(number: number): RegisteredProcedure | undefined {
    return this.byNumber.get(number);
  }

  get declarations(): ProcedureDecl[] {
    return [...this.byNumber.values()].map((p) => p.decl);
  }
}
