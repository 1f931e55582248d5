// Channels as the bot meets them: invited or not, public or private, archived; and the scopes the app's manifest
// grants (a method outside them answers missing_scope).
import type { WebAPIPlatformError } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { webClient } from './clients.ts';

let slack: SlackStandIn | undefined;
afterEach(async () => {
  await slack?.close();
});

async function slackError(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    return (e as WebAPIPlatformError).data as unknown as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

const CHANNELS = [
  { id: 'C0MESHOPS', name: 'mesh-ops' },
  { id: 'C0NOTIN01', name: 'not-invited', isMember: false },
  { id: 'G0SECRET1', name: 'secret', isPrivate: true, isMember: false },
  { id: 'G0PRIVIN1', name: 'private-in', isPrivate: true },
  { id: 'C0ARCHIVE', name: 'old', isArchived: true },
];

describe('channels the bot is not in', () => {
  it('chat.postMessage answers not_in_channel, channel_not_found (private) and is_archived as Slack does', async () => {
    slack = await startSlackStandIn({
      rateLimits: false,
      channels: CHANNELS,
      scopes: ['chat:write', 'channels:read', 'groups:read'],
    });
    const web = webClient(slack);
    expect(await slackError(web.chat.postMessage({ channel: 'C0NOTIN01', text: 'x' }))).toMatchObject({
      error: 'not_in_channel',
    });
    expect(await slackError(web.chat.postMessage({ channel: 'G0SECRET1', text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
    expect(await slackError(web.chat.postMessage({ channel: 'C0ARCHIVE', text: 'x' }))).toMatchObject({
      error: 'is_archived',
    });
    expect(
      await slackError(web.chat.postEphemeral({ channel: 'C0NOTIN01', user: 'U0ALICE01', text: 'x' })),
    ).toMatchObject({ error: 'not_in_channel' });
    expect((await web.chat.postMessage({ channel: 'G0PRIVIN1', text: 'x' })).ok).toBe(true);
  });

  it('conversations.info says is_member and is_archived, and a private channel the bot is not in does not exist', async () => {
    slack = await startSlackStandIn({
      rateLimits: false,
      channels: CHANNELS,
      scopes: ['chat:write', 'channels:read', 'groups:read'],
    });
    const web = webClient(slack);
    expect((await web.conversations.info({ channel: 'C0NOTIN01' })).channel).toMatchObject({
      is_member: false,
      is_archived: false,
    });
    expect((await web.conversations.info({ channel: 'C0ARCHIVE' })).channel).toMatchObject({
      is_member: true,
      is_archived: true,
    });
    expect((await web.conversations.info({ channel: 'G0PRIVIN1' })).channel).toMatchObject({
      is_private: true,
      is_member: true,
    });
    expect(await slackError(web.conversations.info({ channel: 'G0SECRET1' }))).toMatchObject({
      error: 'channel_not_found',
    });
  });
});

describe('scopes', () => {
  it("grants the app manifest's bot scopes by default: what it lacks answers missing_scope with what was needed", async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    const web = webClient(slack);
    expect((await web.chat.postMessage({ channel: 'C0MESHOPS', text: 'x' })).ok).toBe(true);
    expect(await slackError(web.users.info({ user: 'U0ALICE01' }))).toMatchObject({
      error: 'missing_scope',
      needed: 'users:read',
    });
  });

  it('asks groups:read for a private channel and channels:read for a public one', async () => {
    slack = await startSlackStandIn({ rateLimits: false, channels: CHANNELS, scopes: ['chat:write', 'channels:read'] });
    const web = webClient(slack);
    expect((await web.conversations.info({ channel: 'C0MESHOPS' })).ok).toBe(true);
    expect(await slackError(web.conversations.info({ channel: 'G0PRIVIN1' }))).toMatchObject({
      error: 'missing_scope',
      needed: 'groups:read',
    });
  });
});

describe('Slack misbehaving', () => {
  it('answers 5xx for as many calls as asked, then normally again', async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    const web = webClient(slack);
    slack.faults.fail('chat.postMessage', { status: 503, times: 1 });
    await expect(web.chat.postMessage({ channel: 'C0MESHOPS', text: 'x' })).rejects.toThrow(/503/);
    expect((await web.chat.postMessage({ channel: 'C0MESHOPS', text: 'x' })).ok).toBe(true);
  });

  it("can leave a call hanging: only the client's own timeout ends it", async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    const { WebClient } = await import('@slack/web-api');
    const web = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, timeout: 300, retryConfig: { retries: 0 } });
    slack.faults.hang('chat.update', { times: 1 });
    const { ts } = await web.chat.postMessage({ channel: 'C0MESHOPS', text: 'x' });
    const started = Date.now();
    await expect(web.chat.update({ channel: 'C0MESHOPS', ts: ts!, text: 'y' })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(slack.faults.hanging()).toBeLessThanOrEqual(1);
    expect((await web.chat.update({ channel: 'C0MESHOPS', ts: ts!, text: 'z' })).ok).toBe(true);
  });
});

describe('the App Home', () => {
  it('views.publish keeps the last Home view per user and checks it as Slack does', async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    const web = webClient(slack);
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'Mesh demo' } }];
    await web.views.publish({ user_id: 'U0ALICE01', view: { type: 'home', blocks } });
    expect(slack.home('U0ALICE01')).toMatchObject({ blocks, publishes: 1 });
    expect(
      await slackError(web.views.publish({ user_id: 'U0ALICE01', view: { type: 'modal', blocks } as never })),
    ).toMatchObject({ error: 'invalid_arguments' });
    expect(await slackError(web.views.publish({ user_id: 'U0NOBODY1', view: { type: 'home', blocks } }))).toMatchObject(
      { error: 'user_not_found' },
    );
    const tooLong = [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }];
    expect(
      await slackError(web.views.publish({ user_id: 'U0ALICE01', view: { type: 'home', blocks: tooLong } as never })),
    ).toMatchObject({ error: 'invalid_arguments' });
    expect(slack.home('U0ALICE01')!.publishes).toBe(1);
  });
});
