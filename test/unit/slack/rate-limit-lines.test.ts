// A call Slack refuses with a 429 waits Retry-After in its limit's line and is tried again; the line lets calls
// through in the order they came; a limit that does not lift fails the call after the patience.
import { ErrorCode, WebAPIRateLimitedError } from '@slack/web-api';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { makeRateLimitLines } from '../../../src/slack/rate-limit-lines.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A limit that lets one call through a second, refusing the others with Retry-After 1, as Slack per channel. */
function perSecond(): { send: (name: string) => () => Promise<string>; sent: string[]; refused: () => number } {
  const sent: string[] = [];
  let refused = 0;
  let last = Number.NEGATIVE_INFINITY;
  const send = (name: string) => async () => {
    if (Date.now() - last < 1000) {
      refused += 1;
      throw new WebAPIRateLimitedError(1);
    }
    last = Date.now();
    sent.push(name);
    return name;
  };
  return { send, sent, refused: () => refused };
}

it('a burst into one limit goes out one a second, in the order it came, none lost', async () => {
  const lines = makeRateLimitLines(30_000);
  const slack = perSecond();
  const calls = ['a', 'b', 'c', 'd', 'e'].map((n) => lines('chat.postMessage C1', slack.send(n)));
  await vi.advanceTimersByTimeAsync(10_000);
  expect(await Promise.all(calls)).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(slack.sent).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(slack.refused()).toBeGreaterThan(0);
});

it('another limit does not wait behind a refused one', async () => {
  const lines = makeRateLimitLines(30_000);
  const slack = perSecond();
  void lines('chat.postMessage C1', slack.send('a'));
  const waiting = lines('chat.postMessage C1', slack.send('b'));
  const other = await lines('chat.postMessage C2', async () => 'elsewhere');
  expect(other).toBe('elsewhere');
  expect(slack.sent).toEqual(['a']);
  await vi.advanceTimersByTimeAsync(2000);
  expect(await waiting).toBe('b');
});

it('a limit that does not lift fails the call with the rate-limited error after the patience', async () => {
  const lines = makeRateLimitLines(3000);
  let tries = 0;
  const call = lines('chat.update', async () => {
    tries += 1;
    throw new WebAPIRateLimitedError(1);
  });
  const failed = expect(call).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
  await vi.advanceTimersByTimeAsync(10_000);
  await failed;
  expect(tries).toBeGreaterThanOrEqual(3);
  expect(tries).toBeLessThanOrEqual(5);
});

it('an error other than a 429 is not retried', async () => {
  const lines = makeRateLimitLines(30_000);
  let tries = 0;
  await expect(
    lines('chat.postMessage C1', async () => {
      tries += 1;
      throw new Error('channel_not_found');
    }),
  ).rejects.toThrow('channel_not_found');
  expect(tries).toBe(1);
});
