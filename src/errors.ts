// The small set of errors the pipeline understands. Anything else is treated as transient and retried.

/** Must not be retried: bad input, a missing permission, a quota, a spec the product cannot satisfy. */
export class PermanentError extends Error {
  readonly code: string;
  readonly hint?: string;
  constructor(message: string, opts: { code?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'PermanentError';
    this.code = opts.code ?? 'Permanent';
    this.hint = opts.hint;
  }
}

/** The job was cancelled by a user; thrown at a safe point. */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** A bounded wait ran out; the message says what was last seen. */
export class WaitTimeoutError extends Error {
  readonly lastSeen: string;
  constructor(what: string, timeoutMs: number, lastSeen: string) {
    super(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last seen: ${lastSeen}`);
    this.name = 'WaitTimeoutError';
    this.lastSeen = lastSeen;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
