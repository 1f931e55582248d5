// Slack as a team lives in it, end to end on the sandbox (the bot as its own process): told when a job ends, a
// down confirmation that works once, channels the bot is not in, another workspace, and Slack misbehaving.
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, CHANNEL, type Sandbox } from '../../sandbox/sandbox.ts';
import { sendBlockAction } from '../../sandbox/slack/sender.ts';
import { messageText } from '../../sandbox/slack/transcript.ts';
import { confirmBlocks, DOWN_CONFIRM_ACTION } from '../../src/slack/down-confirm.ts';
import { sandboxFor } from './helpers.ts';

let sb: Sandbox;
const CLOSED = 'C0NOTIN01';

beforeAll(async () => {
  // Short Slack and AWS timeouts, so that a hung call costs seconds here; a second allowed channel the bot is not in.
  sb = await sandboxFor('slack-behaviour', {
    botEnv: { SLACK_TIMEOUT_SECONDS: '2', AWS_CALL_TIMEOUT_SECONDS: '2', MESH_CHANNELS: `${CHANNEL},${CLOSED}` },
  });
  sb.slack.workspace.addChannel({ id: CLOSED, name: 'not-invited', isMember: false });
}, 180_000);
afterAll(async () => {
  await sb?.stop();
});

const jobAnchors = () =>
  sb.slack.messages(CHANNEL).filter((m) => !m.threadTs && m.user === 'U0MESHBOT' && /· job \d+/.test(m.text));
/** The reply that tells the requester a job ended: it follows the anchor's final edit. */
const endReply = (anchorTs: string) =>
  sb.slack.waitFor((m) => m.channel === CHANNEL && m.threadTs === anchorTs && m.text.startsWith(`<@${ADMIN}>`), 10_000);

describe('told when it ends', () => {
  it('a finished job mentions the requester in a new thread reply; the final edit alone notifies nobody', async () => {
    const status = await sb.run('status');
    expect(status.ok).toBe(true);
    // No mesh exists yet: the check's verdict is not ok, and the icon says so (not a green tick).
    expect(status.anchor!.text.startsWith(':large_yellow_circle:')).toBe(true);
    const reply = await endReply(status.anchor!.ts);
    expect(reply, 'a thread reply that mentions the requester').toBeDefined();
    expect(messageText(sb.slack, reply!)).toMatch(/\/mesh status.*finished in/);
    expect(reply!.broadcast).toBeFalsy();
    expect(sb.slack.notifications(CHANNEL).some((n) => n.ts === reply!.ts && n.to === ADMIN)).toBe(true);
  }, 120_000);

  it('a failed job is also shown in the channel (reply_broadcast), mentioning the requester', async () => {
    const ping = await sb.run('ping iad pdx-0', { timeoutMs: 120_000 });
    expect(ping.ok).toBe(false);
    const reply = await endReply(ping.anchor!.ts);
    expect(reply?.broadcast).toBe(true);
    expect(sb.slack.messages(CHANNEL).some((m) => m.ts === reply!.ts)).toBe(true);
    expect(messageText(sb.slack, reply!)).toMatch(/failed after/);
    expect(sb.slack.notifications(CHANNEL).some((n) => n.ts === reply!.ts && n.to === ADMIN)).toBe(true);
  }, 180_000);
});

describe('the down confirmation', () => {
  const bot = () => new WebClient('xoxb-sandbox-meshops', { slackApiUrl: sb.slack.apiUrl });

  it('works once: a double click starts one teardown, a late click none, and the message says who confirmed', async () => {
    const posted = await bot().chat.postMessage({
      channel: CHANNEL,
      text: 'Delete?',
      blocks: confirmBlocks(sb.spec.name, '• us-east-1: 1 VPC(s) (vpc-1)', '$0.10', Date.now()),
    });
    const ts = posted.ts as string;
    const original = structuredClone(sb.slack.messages(CHANNEL).find((m) => m.ts === ts)!);
    const value = /"value":"((?:[^"\\]|\\.)*)"/.exec(JSON.stringify(original.blocks))![1]!.replace(/\\"/g, '"');
    const anchorsBefore = new Set(jobAnchors().map((m) => m.ts));
    const click = () =>
      sb.slack.clickButton({
        to: sb.delivery,
        userId: ADMIN,
        channelId: CHANNEL,
        messageTs: ts,
        actionId: DOWN_CONFIRM_ACTION,
      });
    await Promise.all([click(), click()]);
    const msg = await sb.slack.waitFor((m) => m.ts === ts && /Confirmed by <@U0ALICE01>/.test(m.text), 10_000);
    expect(JSON.stringify(msg.blocks)).toContain('vpc-1');
    await sb.slack.waitFor((m) => m.visibleTo === ADMIN && /already used/.test(m.text), 10_000);
    // One job: if its worker posted an anchor while the web role posted one too, the later one is deleted.
    await expect
      .poll(
        () =>
          jobAnchors()
            .filter((m) => !anchorsBefore.has(m.ts))
            .map((m) => m.text.slice(0, 60)),
        { timeout: 10_000 },
      )
      .toHaveLength(1);
    const started = jobAnchors().filter((m) => !anchorsBefore.has(m.ts));
    const down = await sb.settle(started[0]!, 120_000);
    expect(down.anchor!.text).toMatch(/Nothing to delete/);
    // Later, a client that still shows the old buttons sends the same value again.
    const late = sb.slack.createResponseUrl({ channel: CHANNEL, user: ADMIN, originalTs: ts });
    await sendBlockAction({
      ...sb.delivery.http,
      userId: ADMIN,
      channelId: CHANNEL,
      messageTs: ts,
      actionId: DOWN_CONFIRM_ACTION,
      value,
      responseUrl: late,
      message: { ts, blocks: original.blocks },
    });
    await expect
      .poll(() => sb.slack.ephemeral(CHANNEL, ADMIN).filter((m) => /already used/.test(m.text)).length, {
        timeout: 10_000,
      })
      .toBe(2);
    expect(jobAnchors().filter((m) => !anchorsBefore.has(m.ts))).toHaveLength(1);
  }, 180_000);

  it('a click after 5 minutes edits the confirmation to "expired, nothing deleted" and starts nothing', async () => {
    const old = await bot().chat.postMessage({
      channel: CHANNEL,
      text: 'Delete?',
      blocks: confirmBlocks(sb.spec.name, '• us-east-1: 1 VPC(s) (vpc-1)', '$0.10', Date.now() - 6 * 60_000),
    });
    const click = await sb.clickConfirm({ user: ADMIN, messageTs: old.ts as string });
    expect(click.anchor).toBeUndefined();
    await sb.slack.waitFor((m) => m.ts === old.ts && /expired, nothing deleted/.test(m.text), 5000);
  }, 60_000);
});

describe('where /mesh runs', () => {
  it('a command in a channel the bot is not in is answered with what to do, and nothing is queued', async () => {
    const anchorsBefore = jobAnchors().length;
    const res = await sb.slack.slashCommand({ to: sb.delivery, text: 'status', userId: ADMIN, channelId: CLOSED });
    expect(res.acked).toBe(true);
    const answer = await sb.slack.waitFor(
      (m) => m.channel === CLOSED && m.visibleTo === ADMIN && /was not queued/.test(m.text),
      10_000,
    );
    expect(answer.text).toMatch(/\/invite @meshops/);
    expect(sb.slack.messages(CLOSED)).toEqual([]);
    expect(jobAnchors().length).toBe(anchorsBefore);
  }, 60_000);

  it('a request from another workspace (Slack Connect) is refused, and nothing is queued', async () => {
    const anchorsBefore = jobAnchors().length;
    const res = await sb.slack.slashCommand({
      to: sb.delivery,
      text: 'status',
      userId: ADMIN,
      channelId: CHANNEL,
      teamId: 'T0OTHERORG',
    });
    expect(JSON.stringify(res.ackBody)).toMatch(/another workspace or organization/);
    expect(jobAnchors().length).toBe(anchorsBefore);
  }, 60_000);
});

describe('Slack misbehaving', () => {
  it('a 5xx and hung calls are survived: the change job finishes and the next one runs (the lock was released)', async () => {
    sb.slack.faults.fail('chat.postMessage', { status: 503, times: 2 });
    sb.slack.faults.hang('chat.update', { times: 3 });
    const first = await sb.run('down --confirm demo', { timeoutMs: 120_000 });
    expect(first.anchor!.text).toMatch(/Nothing to delete/);
    const second = await sb.run('down --confirm demo', { timeoutMs: 120_000 });
    expect(second.ok).toBe(true);
    expect(sb.slack.stats()['chat.update']!.calls).toBeGreaterThan(0);
    sb.slack.faults.clear();
  }, 240_000);
});

describe('AWS misbehaving', () => {
  it('a call AWS takes and never answers is given up and retried: the status job ends with its report', async () => {
    sb.cloud.faults.add({ service: 'ec2', rate: 1, kind: 'hang', actions: ['DescribeVpcs'], times: 2 });
    try {
      const status = await sb.run('status', { timeoutMs: 90_000 });
      expect(status.anchor!.text).toMatch(/^:large_yellow_circle:/);
      expect(sb.cloud.faults.state().rules[0]!.times, 'both hung calls were made').toBe(0);
    } finally {
      sb.cloud.faults.clear();
    }
  }, 120_000);
});

describe('the App Home', () => {
  const homeText = () => JSON.stringify(sb.slack.home(ADMIN)?.blocks ?? []);

  it('opened after a job: the mesh at a glance, the last jobs, the admins and where /mesh runs; refreshed when a job ends', async () => {
    const status = await sb.run('status');
    const n = /job (\d+)/.exec(status.anchor!.text)![1]!;
    expect((await sb.slack.openHome({ userId: ADMIN, to: sb.delivery })).acked).toBe(true);
    await expect.poll(() => sb.slack.home(ADMIN)?.publishes ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(homeText()).toMatch(/At a glance\* \(status of/);
    expect(homeText()).toContain(`job ${n} · */mesh status*`);
    expect(homeText()).toContain(`<@${ADMIN}> (you are one)`);
    expect(homeText()).toContain(`<#${CHANNEL}>`);
    const before = sb.slack.home(ADMIN)!.publishes;
    const next = await sb.run('status');
    const m = /job (\d+)/.exec(next.anchor!.text)![1]!;
    await expect
      .poll(() => (sb.slack.home(ADMIN)!.publishes > before ? homeText() : ''), { timeout: 10_000 })
      .toContain(`job ${m} · */mesh status*`);
  }, 120_000);
});

describe('buttons for the next step', () => {
  const newAnchor = async (before: Set<string>, re: RegExp) =>
    sb.slack.waitFor(
      (m) => !before.has(m.ts) && !m.threadTs && m.user === 'U0MESHBOT' && /· job \d+/.test(m.text) && re.test(m.text),
      15_000,
    );

  it('after a failure, Retry runs the same command again and Status checks the mesh', async () => {
    const failed = await sb.run('ping iad pdx-0', { timeoutMs: 120_000 });
    expect(failed.ok).toBe(false);
    expect(JSON.stringify(failed.anchor!.blocks)).toMatch(/"text":"Retry"/);
    const before = new Set(jobAnchors().map((m) => m.ts));
    await sb.slack.clickLabel({ to: sb.delivery, userId: ADMIN, channelId: CHANNEL, label: 'Retry' });
    const again = await sb.settle(await newAnchor(before, /\/mesh ping iad pdx-0/), 120_000);
    expect(again.anchor!.text).toMatch(/^:x:/);
    const before2 = new Set(jobAnchors().map((m) => m.ts));
    await sb.slack.clickLabel({ to: sb.delivery, userId: ADMIN, channelId: CHANNEL, label: 'Status' });
    await sb.settle(await newAnchor(before2, /\/mesh status/), 120_000);
  }, 300_000);

  it('after a status, Refresh runs it again', async () => {
    const status = await sb.run('status');
    expect(JSON.stringify(status.anchor!.blocks)).toMatch(/"text":"Refresh"/);
    const before = new Set(jobAnchors().map((m) => m.ts));
    await sb.slack.clickLabel({ to: sb.delivery, userId: ADMIN, channelId: CHANNEL, label: 'Refresh' });
    const refreshed = await sb.settle(await newAnchor(before, /\/mesh status/), 120_000);
    expect(refreshed.ok).toBe(true);
  }, 240_000);

  it('a running up stops from its Cancel button, and its thread says what was left in place', async () => {
    const anchor = (await sb.send(`up --confirm ${sb.spec.name}`))!;
    const n = /job (\d+)/.exec(anchor.text)![1]!;
    await sb.slack.waitFor((m) => m.ts === anchor.ts && /Step \d+ of \d+/.test(m.text), 60_000);
    await sb.slack.clickLabel({ to: sb.delivery, userId: ADMIN, channelId: CHANNEL, label: `Cancel job ${n}` });
    const end = await sb.settle(anchor, 300_000);
    expect(end.anchor!.text).toMatch(/^:no_entry_sign:.*cancelled by <@U0ALICE01>/s);
    expect(end.anchor!.text).toMatch(/left in place/);
  }, 420_000);
});
