/**
 * One base class for every error Rampart raises on purpose. Each carries a stable `code`
 * (machine-readable, documented in docs/PROTOCOL.md where it is part of the protocol) and a short
 * human message; causes chain through the standard `cause` option.
 */
export type RampartErrorOptions = {
  /** Structured facts about the failure (offending value, limits). Must be JSON-serialisable. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
};

export class RampartError extends Error {
  override readonly name: string = 'RampartError';
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: RampartErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** An input at a boundary (bytes, JSON, parameters) was malformed or out of range. */
export class InvalidInputError extends RampartError {
  override readonly name = 'InvalidInputError';
  constructor(message: string, options: RampartErrorOptions = {}) {
    super('INVALID_INPUT', message, options);
  }
}

/** A byte decoder met data that is not a valid encoding. */
export class DecodeError extends RampartError {
  override readonly name = 'DecodeError';
  constructor(message: string, options: RampartErrorOptions = {}) {
    super('DECODE_ERROR', message, options);
  }
}
