/**
 * The RPC layer's one job: decode a call into a typed driver call. It checks that the
 * procedure exists on this socket, that the connection is open and may mutate, that
 * the arguments match the declared schema, then calls the handler and checks its
 * result against the declared schema too. It also logs every call in one place.
 */
import type { Logger } from 'pino';
import { ErrorCode, ErrorDomain } from '../errors/error-codes.js';
import { VirError } from '../errors/vir-error.js';
import { connectOpen } from '../protocol/connect.js';
import type { ProcedureDecl } from '../protocol/procedure.js';
import { describeValidationError, validatorFor } from '../protocol/validation.js';
import { isFrozenResult, type CallMessage } from '../wire/messages.js';
import type { ProcedureTable, RegisteredProcedure } from './procedure-table.js';
import type { ServerClient } from './server-client.js';

/**
 * Results that a handler deep-froze (see `freezeResult`) and that passed their procedure's
 * result schema once: a handler that hands back the same unchanged answer (a list nothing
 * changed since) is not checked again. Weak, so a dropped answer is forgotten.
 */
const settledResults = new WeakMap<object, ProcedureDecl>();

function isSettledResult(result: unknown, decl: ProcedureDecl): boolean {
  return typeof result === 'object' && result !== null && settledResults.get(result) === decl;
}

export class Dispatcher {
  constructor(
    private readonly table: ProcedureTable,
    private readonly log: Logger,
  ) {}

  /** Runs one call to completion; never throws: failures come back as a VirError. */
  async dispatch(client: ServerClient, call: CallMessage): Promise<{ result: unknown } | { error: VirError }> {
    const started = process.hrtime.bigint();
    const registered = this.table.lookup(call.procedure);
    const name = registered?.decl.name ?? `#${call.procedure}`;
    const debug = this.log.isLevelEnabled('debug');
    if (debug) this.log.debug({ client: client.id, serial: call.serial, procedure: name }, 'call started');
    try {
      const result = await this.run(client, call, registered);
      if (debug) {
        const micros = Number(process.hrtime.bigint() - started) / 1000;
        this.log.debug({ client: client.id, serial: call.serial, procedure: name, micros }, 'call completed');
      }
      return { result };
    } catch (err) {
      const error = VirError.from(err);
      const level = error.code === ErrorCode.INTERNAL_ERROR ? 'error' : 'info';
      this.log[level](
        {
          client: client.id,
          serial: call.serial,
          procedure: name,
          code: error.codeName,
          err: level === 'error' ? err : undefined,
        },
        'call failed',
      );
      return { error };
    }
  }

  private async run(
    client: ServerClient,
    call: CallMessage,
    registered: RegisteredProcedure | undefined,
  ): Promise<unknown> {
    if (!registered) {
      throw new VirError(
        ErrorCode.RPC,
        ErrorDomain.RPC,
        `unknown procedure ${call.procedure}: ${client.daemonName} does not implement it on its ${client.socketKind} socket`,
      );
    }
    const { decl, handler } = registered;
    if (!client.opened && decl.number !== connectOpen.number) {
      throw new VirError(ErrorCode.RPC, ErrorDomain.RPC, `${decl.name} called before connect.open`);
    }
    if (client.readonly && !decl.readonly) {
      throw new VirError(
        ErrorCode.OPERATION_DENIED,
        ErrorDomain.RPC,
        `operation forbidden: read only access prevents ${decl.name}`,
      );
    }
    const validateArgs = validatorFor(decl.args);
    if (!validateArgs(call.args)) {
      throw new VirError(
        ErrorCode.INVALID_ARG,
        ErrorDomain.RPC,
        `invalid argument for ${decl.name}: ${describeValidationError(validateArgs)}`,
      );
    }
    const stream = decl.stream ? client.openStream(call.serial) : undefined;
    try {
      const result = await handler(call.args as never, {
        client,
        procedure: decl,
        serial: call.serial,
        stream,
        log: this.log,
      });
      if (isSettledResult(result, decl)) return result;
      const validateResult = validatorFor(decl.result);
      if (!validateResult(result)) {
        throw new VirError(
          ErrorCode.INTERNAL_ERROR,
          ErrorDomain.RPC,
          `internal error: ${decl.name} produced a result that breaks its schema: ${describeValidationError(validateResult)}`,
        );
      }
      if (isFrozenResult(result)) settledResults.set(result, decl);
      return result;
    } catch (err) {
      stream?.destroy();
      throw err;
    }
  }
}
