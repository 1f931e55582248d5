// Plan, then apply, end to end on the sandbox (the bot as its own process): `/mesh up` posts the plan and waits for
// an admin's Apply, which works once and not after its expiry (the message says so at expiry, without a click);
// `--confirm` must name the mesh; an up with nothing to do asks nothing. And one anchor message per job, even when
// the web role's post is slow and the worker starts the job first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, CHANNEL, NON_ADMIN, type Sandbox } from '../../sandbox/sandbox.ts';
import { sendBlockAction } from '../../sandbox/slack/sender.ts';
import type { SlackMessage } from '../../sandbox/slack/state.ts';
import { APPLY_ACTION } from '../../src/slack/apply-confirm.ts';
import { DOWN_CONFIRM_ACTION } from '../../src/slack/down-confirm.ts';
import { countMesh, expectedCounts, sandboxFor, seen, ZERO } from './helpers.ts';

let sb: Sandbox;
// Short enough to watch an expiry here; a short Slack timeout, so that a hung call costs seconds.
const CONFIRM_SECONDS = 20;

beforeAll(async () => {
  sb = await sandboxFor('apply', {
    botEnv: { CONFIRM_SECONDS: String(CONFIRM_SECONDS), SLACK_TIMEOUT_SECONDS: '2' },
  });
}, 180_000);
afterAll(async () => {
  await sb?.stop();
});

const isAnchor = (m: SlackMessage) => !m.threadTs && m.user === 'U0MESHBOT' && /· job \d+/.test(m.text);
const planMessages = () =>
  sb.slack.messages(CHANNEL).filter((m) => !m.threadTs && /Apply the plan for mesh/.test(m.text));
const hasButtons = (m: SlackMessage | undefined) => JSON.stringify(m?.blocks ?? []).includes(APPLY_ACTION);
const current = (ts: string) => sb.slack.messages(CHANNEL).find((m) => m.ts === ts);
/** Every top-level job message posted from now on, deleted or not. */
function anchorsPosted(): { list: SlackMessage[]; stop: () => void } {
  const list: SlackMessage[] = [];
  const stop = sb.slack.onChange((c) => {
    if (c.kind === 'message' && c.message.channel === CHANNEL && isAnchor(c.message)) list.push(c.message);
  });
  return { list, stop };
}

describe('one anchor per job', () => {
  it("is posted once, even when the web role's post hangs and the worker starts the job first", async () => {
    const posted = anchorsPosted();
    // The web role's anchor post hangs (the client gives up after 2 s and tries again); the job is queued first,
    // so the worker starts it meanwhile.
    sb.slack.faults.hang('chat.postMessage', { times: 1 });
    const status = await sb.run('status', { timeoutMs: 120_000 });
    posted.stop();
    expect(status.ok, seen(status.anchor)).toBe(true);
    const job = /· job (\d+) ·/.exec(status.anchor!.text)![1];
    expect(posted.list.filter((m) => m.text.includes(`· job ${job} ·`)).map((m) => m.ts)).toEqual([status.anchor!.ts]);
  }, 180_000);
});

describe('/mesh up --confirm', () => {
  it('with another mesh name is refused, saying the right one, and starts nothing', async () => {
    const res = await sb.run('up --confirm prod');
    expect(res.ok).toBe(false);
    expect(res.anchor).toBeUndefined();
    expect(res.ephemeral.join('\n')).toMatch(/`--confirm` must be this mesh's name, `demo`; got `prod`/);
    expect(res.ephemeral.join('\n')).toMatch(/\/mesh up --confirm demo/);
  }, 60_000);
});

describe('/mesh up waits for Apply', () => {
  it('its plan expires: the message says so at expiry without a click, and a late Apply is refused', async () => {
    const plan = await sb.run('up', { timeoutMs: 120_000 });
    expect(plan.ok, seen(plan.anchor)).toBe(true);
    expect(seen(plan.anchor)).toMatch(/Plan posted below: \d+ of \d+ steps to create or repair/);
    const msg = planMessages().at(-1)!;
    expect(hasButtons(msg)).toBe(true);
    const original = structuredClone(msg);
    const value = /"value":"((?:[^"\\]|\\.)*)"/.exec(JSON.stringify(original.blocks))![1]!.replace(/\\"/g, '"');
    // Nobody clicks: the delayed job edits the message once the buttons expire.
    const expired = await sb.slack.waitFor(
      (m) => m.ts === msg.ts && /This plan expired at \d\d:\d\d UTC without an Apply/.test(m.text),
      (CONFIRM_SECONDS + 30) * 1000,
    );
    expect(hasButtons(expired)).toBe(false);
    expect(seen(expired)).toMatch(/will create, repair or wait for something/);
    // A client that still shows the old buttons sends Apply: refused, and nothing starts.
    const anchorsBefore = sb.slack.messages(CHANNEL).filter(isAnchor).length;
    await sendBlockAction({
      ...sb.delivery.http,
      userId: ADMIN,
      channelId: CHANNEL,
      messageTs: msg.ts,
      actionId: APPLY_ACTION,
      value,
      responseUrl: sb.slack.createResponseUrl({ channel: CHANNEL, user: ADMIN, originalTs: msg.ts }),
      message: { ts: msg.ts, blocks: original.blocks },
    });
    await sb.slack.waitFor(
      (m) => m.visibleTo === ADMIN && /This plan expired: nothing was changed/.test(m.text),
      10_000,
    );
    expect(sb.slack.messages(CHANNEL).filter(isAnchor)).toHaveLength(anchorsBefore);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 180_000);

  it('Cancel settles the plan: the message says who cancelled, and nothing is made', async () => {
    const plan = await sb.run('up', { timeoutMs: 120_000 });
    expect(plan.ok, seen(plan.anchor)).toBe(true);
    const msg = planMessages().at(-1)!;
    const cancel = await sb.click('Cancel');
    expect(cancel.ok).toBe(true);
    expect(current(msg.ts)!.text).toMatch(/Cancelled by <@U0ALICE01> at \d\d:\d\d UTC: nothing was changed/);
    expect(hasButtons(current(msg.ts))).toBe(false);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 180_000);

  it("a non-admin's Apply is refused; an admin's Apply, pressed twice, runs one up that builds the mesh", async () => {
    const plan = await sb.run('up', { timeoutMs: 120_000 });
    expect(plan.ok, seen(plan.anchor)).toBe(true);
    const msg = planMessages().at(-1)!;
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);

    const bob = await sb.click('Apply', { user: NON_ADMIN });
    expect(bob.ok).toBe(false);
    expect(bob.ephemeral.join('\n')).toMatch(/only mesh admins may run `\/mesh up`.*Nothing was changed/is);
    expect(hasButtons(current(msg.ts))).toBe(true);

    const posted = anchorsPosted();
    const press = () =>
      sb.slack.clickButton({
        to: sb.delivery,
        userId: ADMIN,
        channelId: CHANNEL,
        messageTs: msg.ts,
        actionId: APPLY_ACTION,
      });
    await Promise.all([press(), press()]);
    const applied = await sb.slack.waitFor(
      (m) =>
        m.ts === msg.ts && /Applied by <@U0ALICE01> at \d\d:\d\d UTC: building mesh \*demo\* is job \d+/.test(m.text),
      10_000,
    );
    await sb.slack.waitFor(
      (m) => m.visibleTo === ADMIN && /already settled: <@U0ALICE01> applied it/.test(m.text),
      10_000,
    );
    const job = /is job (\d+)/.exec(applied.text)![1]!;
    const anchor = await sb.slack.waitFor((m) => isAnchor(m) && m.text.includes(`· job ${job} ·`), 10_000);
    const up = await sb.settle(anchor, 600_000);
    posted.stop();
    expect(up.ok, seen(up.anchor)).toBe(true);
    expect(seen(up.anchor)).toMatch(/is up and verified/);
    expect(
      posted.list.map((m) => m.ts),
      'one up job',
    ).toEqual([anchor.ts]);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
  }, 720_000);

  it('an up with nothing to change says so and asks nothing', async () => {
    const before = planMessages().length;
    const up = await sb.run('up', { timeoutMs: 300_000 });
    expect(up.ok, seen(up.anchor)).toBe(true);
    expect(seen(up.anchor)).toMatch(/Mesh \*demo\* is complete: `\/mesh up` would change nothing/);
    expect(planMessages()).toHaveLength(before);
    expect(hasButtons(up.anchor)).toBe(false);
  }, 360_000);
});

describe('the /mesh down confirmation', () => {
  it('expires by itself: edited to say so at its time, the inventory kept, nothing deleted', async () => {
    const down = await sb.run('down', { timeoutMs: 120_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    const msg = sb.slack.messages(CHANNEL).findLast((m) => !m.threadTs && /Delete mesh demo\?/.test(m.text))!;
    expect(JSON.stringify(msg.blocks)).toContain(DOWN_CONFIRM_ACTION);
    const expired = await sb.slack.waitFor(
      (m) => m.ts === msg.ts && /This confirmation expired at \d\d:\d\d UTC, nothing deleted/.test(m.text),
      (CONFIRM_SECONDS + 30) * 1000,
    );
    expect(JSON.stringify(expired.blocks)).not.toContain(DOWN_CONFIRM_ACTION);
    expect(seen(expired)).toMatch(/us-east-1: .*VPC/);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
  }, 180_000);
});
