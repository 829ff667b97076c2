/** Test support: the VirError a call fails with, or a test failure when it does not fail that way. */
import { VirError } from '../errors/vir-error.js';

function unexpected(err: unknown): Error {
  return new Error(`expected a VirError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
}

export function virErrorOf(fn: () => unknown): VirError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VirError) return err;
    throw unexpected(err);
  }
  throw new Error('expected a VirError, but the call succeeded');
}

export async function rejectionOf(promise: Promise<unknown>): Promise<VirError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof VirError) return err;
    throw unexpected(err);
  }
  throw new Error('expected a VirError, but the call succeeded');
}
