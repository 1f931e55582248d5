// Counts Slack Web API calls on a WebClient (the worker's, and the web role's Bolt client) by method and outcome,
// and every 429 it met (it waits Retry-After and tries again, so a call that ends ok may have been limited).
// The client's method shortcuts (chat.postMessage...) are bound to its own apiCall when it is built, so the
// counting sits one level lower, on the request and the result every call goes through.
import { type WebClient, WebClientEvent } from '@slack/web-api';
import { slackCalls, slackRateLimited } from './registry.ts';

interface Internals {
  makeRequest(url: string, body: unknown, headers?: unknown): Promise<{ url?: string }>;
  buildResult(response: { url?: string }): Promise<{ ok?: boolean; error?: string }>;
}

const instrumented = new WeakSet<WebClient>();
const methodOf = (url: string | undefined) =>
  (url ?? 'unknown').replace(/[?#].*$/, '').replace(/^.*\//, '') || 'unknown';

export function instrumentSlack(client: WebClient): WebClient {
  if (instrumented.has(client)) return client;
  instrumented.add(client);
  const inner = client as unknown as Internals;
  const makeRequest = inner.makeRequest.bind(client);
  const buildResult = inner.buildResult.bind(client);
  const pending = new WeakMap<object, string>();
  inner.makeRequest = async (url, body, headers) => {
    try {
      const res = await makeRequest(url, body, headers);
      if (res && typeof res === 'object') pending.set(res, methodOf(url));
      return res;
    } catch (err) {
      // No answer, or an HTTP error after the retries.
      slackCalls.inc({ method: methodOf(url), outcome: (err as { code?: string }).code ?? 'error' });
      throw err;
    }
  };
  inner.buildResult = async (response) => {
    const result = await buildResult(response);
    const method = pending.get(response) ?? methodOf(response?.url);
    slackCalls.inc({ method, outcome: result.ok ? 'ok' : (result.error ?? 'error') });
    return result;
  };
  client.on(WebClientEvent.RATE_LIMITED, (_seconds: number, info: { url?: string }) => {
    slackRateLimited.inc({ method: methodOf(info?.url) });
  });
  return client;
}
