// Real Slack clients pointed at a stand-in, quiet unless something is really wrong.
import { type Logger, LogLevel, WebClient } from '@slack/web-api';
import type { SlackStandIn } from '../../sandbox/slack/web-api.ts';

/** WebClient prints Slack's "[ERROR] ..." response_metadata lines, which the limit tests provoke on purpose. */
export const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

/** By default the client neither retries nor waits out a 429, so a test sees each answer as Slack gave it. */
export function webClient(slack: SlackStandIn, opts: { token?: string; retries?: number } = {}): WebClient {
  return new WebClient(opts.token ?? slack.botToken, {
    slackApiUrl: slack.apiUrl,
    logger: quietLogger,
    rejectRateLimitedCalls: opts.retries === undefined,
    retryConfig: { retries: opts.retries ?? 0, minTimeout: 10, maxTimeout: 50 },
  });
}
