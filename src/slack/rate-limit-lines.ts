// Waiting out Slack's 429s call by call. Slack refuses a call over its rate limit with HTTP 429 and Retry-After
// (seconds) and does not carry it out, so trying it again later posts nothing twice. The SDK's own handling pauses
// every call of the client and counts each wait as one of its few tries: a burst into one channel then loses
// messages, and one busy channel holds the others. Here a refused call waits in a line of its own limit (a method,
// or a method and channel), and the line lets one call through at a time, in the order they came, when Slack said
// it may: the burst goes out at the pace Slack allows, in order. Calls under no limit do not wait at all.
import { ErrorCode, WebAPIRateLimitedError } from '@slack/web-api';

interface Line {
  /** Not before this time (ms since the epoch) may the next call in line go. */
  notBefore: number;
  /** Settles when the last call in line has had its turn. */
  tail: Promise<void>;
  inLine: number;
}

export type RateLimitLines = <T>(key: string, send: () => Promise<T>) => Promise<T>;

const retryAfterOf = (err: unknown): number | undefined =>
  (err as { code?: string }).code === ErrorCode.RateLimitedError
    ? ((err as { retryAfter?: number }).retryAfter ?? 1)
    : undefined;

/**
 * `patienceMs` bounds how long one call waits for Retry-After once it is its turn (the wait in line behind others
 * is as long as Slack takes to let them through): past it the call fails with Slack's rate-limited error, so a
 * limit that does not lift cannot hold a job for ever.
 */
export function makeRateLimitLines(patienceMs: number): RateLimitLines {
  const lines = new Map<string, Line>();
  const limit = (key: string, retryAfterSec: number): void => {
    const line = lines.get(key) ?? { notBefore: 0, tail: Promise.resolve(), inLine: 0 };
    // A little spread, so that processes refused at once do not all come back in the same millisecond.
    line.notBefore = Math.max(line.notBefore, Date.now() + retryAfterSec * 1000 + Math.random() * 100);
    lines.set(key, line);
  };
  return async <T>(key: string, send: () => Promise<T>): Promise<T> => {
    const idle = lines.get(key);
    if (idle && idle.inLine === 0 && idle.notBefore <= Date.now()) lines.delete(key);
    if (!lines.has(key)) {
      try {
        return await send();
      } catch (err) {
        const after = retryAfterOf(err);
        if (after === undefined) throw err;
        limit(key, after);
      }
    }
    const line = lines.get(key)!;
    line.inLine += 1;
    const ahead = line.tail;
    let leave: () => void = () => undefined;
    line.tail = new Promise<void>((r) => {
      leave = r;
    });
    try {
      await ahead;
      const turn = Date.now();
      for (;;) {
        const wait = line.notBefore - Date.now();
        if (wait > 0) {
          if (Date.now() + wait - turn > patienceMs) throw new WebAPIRateLimitedError(Math.ceil(wait / 1000));
          await new Promise((r) => setTimeout(r, wait));
        }
        try {
          return await send();
        } catch (err) {
          const after = retryAfterOf(err);
          if (after === undefined) throw err;
          limit(key, after);
        }
      }
    } finally {
      line.inLine -= 1;
      leave();
    }
  };
}
