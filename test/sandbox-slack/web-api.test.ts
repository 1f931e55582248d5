// The Slack stand-in, driven by @slack/web-api's own WebClient as the bot drives it.

import type { WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { webClient } from './clients.ts';

const CHANNEL = 'C0MESHOPS';
let slack: SlackStandIn;

const client = (opts: { token?: string; retries?: number } = {}) => webClient(slack, opts);

async function slackError(p: Promise<unknown>): Promise<{ error: string; errors?: string[] }> {
  try {
    await p;
  } catch (e) {
    return (e as WebAPIPlatformError).data as { error: string; errors?: string[] };
  }
  throw new Error('expected the call to fail');
}

describe('Slack Web API stand-in', () => {
  beforeEach(async () => {
    // Every method of the stand-in, not only those of the app's manifest (tested below).
    slack = await startSlackStandIn({ rateLimits: false, scopes: 'all' });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('answers auth.test for the bot token and refuses a wrong token with invalid_auth', async () => {
    const me = await client().auth.test();
    expect(me.user_id).toBe('U0MESHBOT');
    expect(me.bot_id).toBe('B0MESHBOT');
    expect(await slackError(client({ token: 'xoxb-wrong' }).auth.test())).toMatchObject({ error: 'invalid_auth' });
  });

  it('posts messages with unique increasing Slack-style ts, and replies land in the thread', async () => {
    const web = client();
    const a = await web.chat.postMessage({ channel: CHANNEL, text: 'first' });
    const b = await web.chat.postMessage({ channel: '#mesh-ops', text: 'second' });
    expect(a.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    expect(b.channel).toBe(CHANNEL);
    const reply = await web.chat.postMessage({ channel: CHANNEL, thread_ts: a.ts!, text: 'in thread' });
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(['first', 'second']);
    expect(slack.thread(CHANNEL, a.ts!).map((m) => [m.ts, m.text])).toEqual([[reply.ts, 'in thread']]);
  });

  it('shows a reply_broadcast reply both in its thread and in the channel', async () => {
    const web = client();
    const root = await web.chat.postMessage({ channel: CHANNEL, text: 'mesh up demo' });
    await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: root.ts!,
      text: 'done in 14 min',
      reply_broadcast: true,
    });
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(['mesh up demo', 'done in 14 min']);
    expect(slack.thread(CHANNEL, root.ts!).map((m) => m.text)).toEqual(['done in 14 min']);
  });

  it('chat.update needs the channel ID and an existing ts, and counts edits', async () => {
    const web = client();
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'progress 0%' });
    expect(await slackError(web.chat.update({ channel: 'mesh-ops', ts: ts!, text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
    expect(await slackError(web.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' }))).toMatchObject({
      error: 'message_not_found',
    });
    await web.chat.update({ channel: CHANNEL, ts: ts!, text: 'progress 50%' });
    await web.chat.update({ channel: CHANNEL, ts: ts!, text: 'progress 100%' });
    expect(slack.messages(CHANNEL)[0]).toMatchObject({ text: 'progress 100%', edits: 2 });
  });

  it('refuses a message over 40,000 characters, more than 50 blocks, and a section over 3000 characters', async () => {
    const web = client();
    expect(await slackError(web.chat.postMessage({ channel: CHANNEL, text: 'x'.repeat(40_001) }))).toMatchObject({
      error: 'msg_too_long',
    });
    const divider = { type: 'divider' };
    const tooMany = await slackError(
      web.chat.postMessage({ channel: CHANNEL, text: 't', blocks: Array(51).fill(divider) }),
    );
    expect(tooMany.error).toBe('invalid_blocks');
    const longSection = await slackError(
      web.chat.postMessage({
        channel: CHANNEL,
        text: 't',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }],
      }),
    );
    expect(longSection).toMatchObject({
      error: 'invalid_blocks',
      errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
    });
    const longHeader = await slackError(
      web.chat.postMessage({
        channel: CHANNEL,
        text: 't',
        blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      }),
    );
    expect(longHeader.error).toBe('invalid_blocks');
    // Exactly at the limits is fine.
    await web.chat.postMessage({
      channel: CHANNEL,
      text: 'x'.repeat(40_000),
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3000) } }, ...Array(49).fill(divider)],
    });
    expect(slack.messages(CHANNEL)).toHaveLength(1);
  });

  it('records ephemeral messages per user, reactions, deletes, and answers conversations.info and users.info', async () => {
    const web = client();
    await web.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE01', text: 'only for alice' });
    expect(slack.ephemeral(CHANNEL, 'U0ALICE01').map((m) => m.text)).toEqual(['only for alice']);
    expect(slack.ephemeral(CHANNEL, 'U0BOB0001')).toEqual([]);
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'done' });
    await web.reactions.add({ channel: CHANNEL, timestamp: ts!, name: 'white_check_mark' });
    expect(
      await slackError(web.reactions.add({ channel: CHANNEL, timestamp: ts!, name: 'white_check_mark' })),
    ).toMatchObject({ error: 'already_reacted' });
    expect(slack.messages(CHANNEL)[0].reactions).toEqual([{ name: 'white_check_mark', users: ['U0MESHBOT'] }]);
    expect((await web.conversations.info({ channel: CHANNEL })).channel?.name).toBe('mesh-ops');
    expect((await web.users.info({ user: 'U0ALICE01' })).user?.name).toBe('alice');
    expect(await slackError(web.users.info({ user: 'U0NOBODY' }))).toMatchObject({ error: 'user_not_found' });
    await web.chat.delete({ channel: CHANNEL, ts: ts! });
    expect(slack.messages(CHANNEL)).toEqual([]);
  });

  it('uploads a file into a thread with the external upload flow; files.upload is gone', async () => {
    const web = client();
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'mesh up' });
    const log = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const res = await web.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: ts!,
      filename: 'calico.log',
      content: log,
      title: 'calico log',
    });
    expect(res.ok).toBe(true);
    const [reply] = slack.thread(CHANNEL, ts!);
    expect(reply.files).toHaveLength(1);
    expect(reply.files[0]).toMatchObject({ name: 'calico.log', title: 'calico log' });
    expect(reply.files[0].bytes?.toString()).toBe(log);
    expect(await slackError(web.apiCall('files.upload', { channels: CHANNEL, content: 'x' }))).toMatchObject({
      error: 'method_deprecated',
    });
  });

  it('refuses to complete an upload whose bytes never reached the upload URL', async () => {
    const web = client();
    const { file_id } = await web.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    expect(
      await slackError(web.files.completeUploadExternal({ files: [{ id: file_id! }], channel_id: CHANNEL })),
    ).toMatchObject({ error: 'file_not_found' });
  });

  it('waitFor resolves on a later edit, without polling', async () => {
    const web = client();
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'creating cluster iad' });
    const seen = slack.waitFor((m) => m.ts === ts && m.text.includes('ACTIVE'), 2000);
    setTimeout(() => void web.chat.update({ channel: CHANNEL, ts: ts!, text: 'cluster iad ACTIVE' }), 50);
    expect((await seen).edits).toBe(1);
    await expect(slack.waitFor((m) => m.text === 'never', 100)).rejects.toThrow(
      /no matching Slack message within 100 ms/,
    );
  });
});

describe('Slack rate limits', () => {
  afterEach(async () => {
    await slack.close();
  });

  it('answers a burst of chat.update with 429 and Retry-After, counted in stats()', async () => {
    slack = await startSlackStandIn();
    const web = client();
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'progress' });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => web.chat.update({ channel: CHANNEL, ts: ts!, text: `step ${i}` })),
    );
    const limited = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as WebAPIRateLimitedError);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].code).toBe('slack_webapi_rate_limited_error');
    expect(limited[0].retryAfter).toBeGreaterThanOrEqual(1);
    expect(slack.stats()['chat.update']).toMatchObject({
      calls: 30,
      rateLimited: limited.length,
      ok: 30 - limited.length,
    });
  });

  it('lets a WebClient that honours Retry-After get through in the end', async () => {
    slack = await startSlackStandIn({ rateLimits: { 'chat.update': { burst: 2, perSecond: 2, scope: 'workspace' } } });
    const web = client({ retries: 3 });
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'progress' });
    await Promise.all([1, 2, 3].map((i) => web.chat.update({ channel: CHANNEL, ts: ts!, text: `step ${i}` })));
    const s = slack.stats()['chat.update'];
    expect(s.rateLimited).toBeGreaterThan(0);
    expect(s.ok).toBe(3);
    expect(slack.messages(CHANNEL)[0].edits).toBe(3);
  });

  it('allows a short burst of chat.postMessage per channel, then about one per second', async () => {
    slack = await startSlackStandIn();
    const web = client();
    const post = (channel: string) =>
      web.chat.postMessage({ channel, text: 'hi' }).then(
        () => 'ok',
        (e: WebAPIRateLimitedError) => e.code,
      );
    const burst = await Promise.all(Array.from({ length: 6 }, () => post(CHANNEL)));
    expect(burst.filter((r) => r === 'ok').length).toBe(4);
    expect(burst.filter((r) => r === 'slack_webapi_rate_limited_error').length).toBe(2);
    // Another channel has its own allowance.
    expect(await post('C0RANDOM1')).toBe('ok');
  });

  it('tells a JSON-body call without an Authorization header that it is not authed', async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    const res = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: slack.botToken, channel: CHANNEL, text: 'x' }),
    });
    expect(await res.json()).toEqual({ ok: false, error: 'not_authed' });
    const ok = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${slack.botToken}` },
      body: JSON.stringify({ channel: CHANNEL, text: 'x' }),
    });
    expect(await ok.json()).toMatchObject({ ok: true, channel: CHANNEL });
  });
});
