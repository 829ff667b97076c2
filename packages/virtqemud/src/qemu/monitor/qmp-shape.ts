/** Checks on what QEMU returned, so a surprising reply fails loudly (INTERNAL_ERROR) instead of leaking `undefined` into the driver. */
import { ErrorCode } from '@tsvirt/common';
import { qemuError } from './qmp-errors.js';

export type QmpObject = Record<string, unknown>;

/** Reads fields of one QMP return value, naming the command and field in every complaint. */
export class QmpShape {
  constructor(
    private readonly command: string,
    private readonly path: string = 'return',
  ) {}

  fail(what: string): never {
    throw qemuError(ErrorCode.INTERNAL_ERROR, `unexpected reply to QEMU command '${this.command}': ${what}`);
  }

  object(value: unknown, path = this.path): QmpObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${path} is not an object`);
    return value as QmpObject;
  }

  array(value: unknown, path = this.path): unknown[] {
    if (!Array.isArray(value)) this.fail(`${path} is not an array`);
    return value;
  }

  /** A view of an array element or nested object, for messages like `return[2].cpu-index`. */
  at(path: string): QmpShape {
    return new QmpShape(this.command, path);
  }

  number(obj: QmpObject, key: string): number {
    const value = obj[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(`${this.path}.${key} is not a number`);
    return value;
  }

  string(obj: QmpObject, key: string): string {
    const value = obj[key];
    if (typeof value !== 'string') this.fail(`${this.path}.${key} is not a string`);
    return value;
  }

  boolean(obj: QmpObject, key: string): boolean {
    const value = obj[key];
    if (typeof value !== 'boolean') this.fail(`${this.path}.${key} is not a boolean`);
    return value;
  }

  optionalString(obj: QmpObject, key: string): string | undefined {
    return obj[key] === undefined ? undefined : this.string(obj, key);
  }

  optionalNumber(obj: QmpObject, key: string): number | undefined {
    return obj[key] === undefined ? undefined : this.number(obj, key);
  }

  optionalBoolean(obj: QmpObject, key: string): boolean | undefined {
    return obj[key] === undefined ? undefined : this.boolean(obj, key);
  }
}
