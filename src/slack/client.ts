// The Web API clients of meshops. The SDK's defaults (no timeout, ten retries over about 30 minutes) let a hung
// call hold a change job, and so the mesh's lock, for as long: every call here has a timeout and few retries.
// Progress edits go through a client of their own that gives up on a 429 instead of pausing, because the SDK
// pauses a client's whole queue on a 429, which would hold thread replies too; the next edit carries the newest
// state anyway.
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import { slackLogger } from './logger.ts';

export interface SlackClientSettings {
  apiUrl?: string;
  /** Per call, each try (default 10 s). */
  timeoutMs?: number;
}

export interface SlackClients {
  /** Posts, thread replies, uploads: a 429 is waited out (Retry-After), a 5xx retried twice. */
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
    calls: new WebClient(token, options),
    edits: new WebClient(token, {
      ...options,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 1, minTimeout: 500, maxTimeout: 500 },
    }),
  };
}
