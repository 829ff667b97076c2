/**
 * A procedure is declared once: name, number, schemas, read-only flag, owning daemon,
 * socket. The TypeScript types, the ajv validators, the client's routing, the
 * dispatcher's read-only check and the socket a handler may be registered on are all
 * derived from that one declaration.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { DaemonName } from './daemons.js';

/** Who answers a procedure: one daemon, or every daemon (the `connect.*` family). */
export type ProcedureOwner = DaemonName | 'any';

/** Which sockets serve a procedure: the read-write/read-only pair, the admin socket, or both (the handshake). */
export type ProcedureSocket = 'main' | 'admin' | 'any';

/** Data flowing on a stream opened by the call, seen from the client. */
export type StreamDirection = 'upload' | 'download' | 'both';

export interface ProcedureDecl<A extends TSchema = TSchema, R extends TSchema = TSchema> {
  /** `group.method`, e.g. `domain.defineXML`. */
  readonly name: string;
  /** Wire number; append-only, never reused. */
  readonly number: number;
  /** tsvirt version that introduced it. */
  readonly since: string;
  /** True when the procedure changes nothing: allowed on read-only connections. */
  readonly readonly: boolean;
  readonly owner: ProcedureOwner;
  readonly socket: ProcedureSocket;
  /**
   * Permission it needs, libvirt-style `object:permission`. Recorded for the access
   * control that will check it; today only `readonly` is enforced.
   */
  readonly access: string;
  readonly args: A;
  readonly result: R;
  readonly stream?: StreamDirection;
  readonly summary: string;
}

export type ArgsOf<P> = P extends ProcedureDecl<infer A, TSchema> ? Static<A> : never;
export type ResultOf<P> = P extends ProcedureDecl<TSchema, infer R> ? Static<R> : never;

type ProcedureInput<A extends TSchema, R extends TSchema> = Omit<ProcedureDecl<A, R>, 'socket'> & {
  socket?: ProcedureSocket;
};

export function defineProcedure<A extends TSchema, R extends TSchema>(decl: ProcedureInput<A, R>): ProcedureDecl<A, R> {
  return Object.freeze({ socket: 'main', ...decl });
}

/** An event a daemon may emit to subscribed clients. */
export interface EventDecl<D extends TSchema = TSchema> {
  readonly name: string;
  /** Wire number; append-only, never reused. */
  readonly number: number;
  readonly since: string;
  readonly owner: ProcedureOwner;
  readonly data: D;
  readonly summary: string;
}

export type EventDataOf<E> = E extends EventDecl<infer D> ? Static<D> : never;

export function defineEvent<D extends TSchema>(decl: EventDecl<D>): EventDecl<D> {
  return Object.freeze({ ...decl });
}
