// The Web API clients of meshops. The SDK's defaults (no timeout, ten retries over about 30 minutes) let a hung
// call hold a change job, and so the mesh's lock, for as long: every call here has a timeout and few retries.
// Progress edits go through a client of their own that gives up on a 429 at once: the next edit carries the newest
// state anyway. Every other call waits out a 429 (Retry-After) in a line of its own limit (rate-limit-lines.ts),
// for as long as Slack takes: a reply, an anchor or a final state refused in a burst goes out later, not lost.
import { type WebAPICallResult, WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import { slackLogger } from './logger.ts';
import { makeRateLimitLines } from './rate-limit-lines.ts';

/**
 * How long a call waits for Retry-After once it is its turn, before it fails: Slack's per-channel limit answers
 * with a second or so; this rides out a minute-wide tier limit too. src/queue/anchor.ts's hold covers it.
 */
export const RATE_LIMIT_PATIENCE_MS = 30_000;

/**
 * Slack limits chat.postMessage per channel (about one a second, after a short burst; docs.slack.dev "Rate
 * limits", Special Tier) and the tiered methods per app and workspace: the line a refused call waits in.
 */
const limitOf = (method: string, options?: Record<string, unknown>): string =>
  method === 'chat.postMessage' && typeof options?.channel === 'string' ? `${method} ${options.channel}` : method;

/** A WebClient that waits out each 429 in its limit's line instead of pausing every call (the SDK's way). */
class PatientWebClient extends WebClient {
  readonly #lines = makeRateLimitLines(RATE_LIMIT_PATIENCE_MS);

  override apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    return this.#lines(limitOf(method, options), () => super.apiCall(method, options));
  }
}

export interface SlackClientSettings {
  apiUrl?: string;
  /** Per call, each try (default 10 s). */
  timeoutMs?: number;
}

export interface SlackClients {
  /** Posts, thread replies, uploads, final edits: a 429 is waited out (Retry-After) in line, a 5xx retried twice. */
  calls: WebClient;
  /** chat.update of progress messages: a 429 is answered at once, so the caller can skip that edit. */
  edits: WebClient;
}

export function webClientOptions(settings: SlackClientSettings, log: Logger): WebClientOptions {
  return {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    logger: slackLogger(log),
    timeout: settings.timeoutMs ?? 10_000,
    // About 0.5 + 1 s between the three tries: a flaky Slack is ridden out, an outage is not waited for.
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000, randomize: true },
  };
}

export function makeSlackClients(token: string, settings: SlackClientSettings, log: Logger): SlackClients {
  const options = webClientOptions(settings, log);
  return {
    // A 429 is answered at once by the SDK, and waited out here, call by call.
    calls: new PatientWebClient(token, { ...options, rejectRateLimitedCalls: true }),
    edits: new WebClient(token, {
      ...options,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 1, minTimeout: 500, maxTimeout: 500 },
    }),
  };
}
