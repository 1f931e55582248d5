// Slack calls are counted by method and outcome, and a 429 is counted though the client retries it to success.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registry } from '../../../src/metrics/registry.ts';
import { instrumentSlack } from '../../../src/metrics/slack.ts';

let requests = 0;
const server = createServer((req, res) => {
  requests++;
  if (requests === 1) return void res.writeHead(429, { 'retry-after': '1' }).end();
  const body = req.url?.endsWith('/chat.update') ? { ok: false, error: 'message_not_found' } : { ok: true, ts: '1.2' };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)));
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function sample(name: string, labels: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

it('counts calls by method and outcome, and the 429 met on the way', async () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  const client = instrumentSlack(new WebClient('xoxb-test', { slackApiUrl: url }));
  expect(instrumentSlack(client)).toBe(client); // instrumenting twice counts once
  await client.chat.postMessage({ channel: 'C1', text: 'hi' });
  await expect(client.chat.update({ channel: 'C1', ts: '1.2', text: 'x' })).rejects.toThrow(/message_not_found/);
  expect(await sample('meshops_slack_calls_total', 'method="chat.postMessage",outcome="ok"')).toBe(1);
  expect(await sample('meshops_slack_calls_total', 'method="chat.update",outcome="message_not_found"')).toBe(1);
  expect(await sample('meshops_slack_rate_limited_total', 'method="chat.postMessage"')).toBe(1);
});
