// response_urls on the stand-in: what an app posts there shows up as Slack would show it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { webClient } from './clients.ts';

const CHANNEL = 'C0MESHOPS';
const ALICE = 'U0ALICE01';
let slack: SlackStandIn;

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(
    async (r) => ({ status: r.status, json: await r.json() }),
  );

describe('response_url', () => {
  beforeEach(async () => {
    slack = await startSlackStandIn({ rateLimits: false });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('shows a reply to the user only by default, and to the channel with response_type in_channel', async () => {
    const url = slack.createResponseUrl({ channel: CHANNEL, user: ALICE });
    expect(await post(url, { text: 'just for you' })).toEqual({ status: 200, json: { ok: true } });
    expect(await post(url, { text: 'for everyone', response_type: 'in_channel' })).toMatchObject({ status: 200 });
    expect(slack.ephemeral(CHANNEL, ALICE).map((m) => m.text)).toEqual(['just for you']);
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(['for everyone']);
  });

  it('replaces or deletes the message a button was on', async () => {
    const web = webClient(slack);
    const a = await web.chat.postMessage({ channel: CHANNEL, text: 'Approve?' });
    const b = await web.chat.postMessage({ channel: CHANNEL, text: 'Delete me' });
    await post(slack.createResponseUrl({ channel: CHANNEL, user: ALICE, originalTs: a.ts }), {
      replace_original: true,
      text: 'Approved',
    });
    await post(slack.createResponseUrl({ channel: CHANNEL, user: ALICE, originalTs: b.ts }), { delete_original: true });
    expect(slack.messages(CHANNEL).map((m) => [m.text, m.edits])).toEqual([['Approved', 1]]);
  });

  it('takes five posts, then refuses; an invented id is refused too; limits apply', async () => {
    const url = slack.createResponseUrl({ channel: CHANNEL, user: ALICE });
    for (let i = 0; i < 5; i++) expect((await post(url, { text: `reply ${i}` })).status).toBe(200);
    expect(await post(url, { text: 'sixth' })).toEqual({ status: 404, json: { ok: false, error: 'expired_url' } });
    expect((await post(`${slack.url}/response/R999999`, { text: 'x' })).status).toBe(404);
    const fresh = slack.createResponseUrl({ channel: CHANNEL, user: ALICE });
    expect(
      await post(fresh, { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'z'.repeat(3001) } }] }),
    ).toEqual({ status: 400, json: { ok: false, error: 'invalid_blocks' } });
  });
});

describe('more of the Web API', () => {
  beforeEach(async () => {
    slack = await startSlackStandIn({ rateLimits: false, scopes: 'all' });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('accepts raw bytes on an upload URL, as curl sends them', async () => {
    const web = webClient(slack);
    const { upload_url, file_id } = await web.files.getUploadURLExternal({ filename: 'plan.txt', length: 5 });
    const up = await fetch(upload_url!, { method: 'POST', body: 'hello' });
    expect(await up.text()).toBe('OK - 5');
    await web.files.completeUploadExternal({
      files: [{ id: file_id!, title: 'plan' }],
      channel_id: CHANNEL,
      initial_comment: 'the plan',
    });
    const [m] = slack.messages(CHANNEL);
    expect(m.text).toBe('the plan');
    expect(m.files.map((f) => [f.name, f.bytes?.toString()])).toEqual([['plan.txt', 'hello']]);
  });

  it('returns a thread with conversations.replies and links to a reply with chat.getPermalink', async () => {
    const web = webClient(slack);
    const root = await web.chat.postMessage({ channel: CHANNEL, text: 'root' });
    const reply = await web.chat.postMessage({ channel: CHANNEL, text: 'reply', thread_ts: root.ts! });
    const thread = await web.conversations.replies({ channel: CHANNEL, ts: root.ts! });
    expect(thread.messages?.map((m) => m.text)).toEqual(['root', 'reply']);
    const link = await web.chat.getPermalink({ channel: CHANNEL, message_ts: reply.ts! });
    expect(link.permalink).toBe(
      `https://meshops.slack.com/archives/${CHANNEL}/p${reply.ts!.replace('.', '')}?thread_ts=${root.ts}&cid=${CHANNEL}`,
    );
  });

  it('answers an unknown method with unknown_method and a 429 with a Retry-After header', async () => {
    await slack.close();
    slack = await startSlackStandIn({
      rateLimits: { 'chat.postMessage': { burst: 1, perSecond: 0.5, scope: 'channel' } },
    });
    const call = (method: string) =>
      fetch(`${slack.apiUrl}${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${slack.botToken}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `channel=${CHANNEL}&text=hi`,
      });
    expect(await (await call('chat.nope')).json()).toEqual({ ok: false, error: 'unknown_method' });
    expect((await call('chat.postMessage')).status).toBe(200);
    const limited = await call('chat.postMessage');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });
  });
});
