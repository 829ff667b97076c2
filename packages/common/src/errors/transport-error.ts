/**
 * Failures of the transport itself, as opposed to a call the daemon refused: these
 * say nothing about the daemon's state, only that the connection could not carry
 * the call.
 */

/** @since 0.1.0 */
export type TransportErrorKind =
  | 'closed' // the connection ended before the reply came
  | 'timeout' // the peer stopped answering keepalives
  | 'frame-too-large' // a frame exceeded the negotiated maximum
  | 'protocol'; // undecodable frame or a message of unknown shape

/** @since 0.1.0 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
