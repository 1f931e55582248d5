// The front door: Slack's signature, authorization and bad input, as Slack would send them; what was queued is
// read back from Redis.
import { Writable } from 'node:stream';
import { WebClient } from '@slack/web-api';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned, sendBlockAction, sendSlashCommand, slashCommandFields } from '../../sandbox/slack/sender.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { queueNames } from '../../src/queue/queues.ts';
import { confirmBlocks, DOWN_CONFIRM_ACTION, DOWN_KEEP_ACTION } from '../../src/slack/down-confirm.ts';
import { ADMIN, CHANNEL, OPERATOR, OTHER_CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
let bot: TestBot;
let changes: Queue;
let reads: Queue;
/** The bot's log lines (JSON), to read its audit trail. */
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [
      { id: CHANNEL, name: 'mesh-ops' },
      { id: OTHER_CHANNEL, name: 'random' },
    ],
  });
  // Web role only: jobs stay queued, so the test sees exactly what a command queued.
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean))
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'web',
    log: pino({ level: 'info' }, destination),
  });
  const names = queueNames(bot.prefix, bot.config.spec.name);
  changes = new Queue(names.changes, { connection: { url: redis.url } });
  reads = new Queue(names.reads, { connection: { url: redis.url } });
});

afterAll(async () => {
  await changes?.close();
  await reads?.close();
  await bot?.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

/** Every job ever added, finished ones too: unlike `queued()`, it cannot drop when an earlier test's job ends. */
async function added(): Promise<number> {
  const states = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;
  const [a, b] = await Promise.all([changes.getJobCounts(...states), reads.getJobCounts(...states)]);
  return Object.values(a).reduce((s, n) => s + n, 0) + Object.values(b).reduce((s, n) => s + n, 0);
}

async function queued(): Promise<number> {
  const [a, b] = await Promise.all([
    changes.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
    reads.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
  ]);
  return Object.values(a).reduce((s, n) => s + n, 0) + Object.values(b).reduce((s, n) => s + n, 0);
}

const send = (text: string, user = ADMIN, channel = CHANNEL, timestamp?: number, secret = SIGNING_SECRET) =>
  sendSlashCommand({
    url: bot.eventsUrl,
    signingSecret: secret,
    text,
    userId: user,
    channelId: channel,
    timestamp,
    responseUrl: slack.createResponseUrl({ channel, user }),
  });

function ackText(res: { json?: unknown }): string {
  return (res.json as { text?: string } | undefined)?.text ?? '';
}

/**
 * Waits until a good command sent after the one under test has been queued, then takes it off the queue again.
 * The command under test was answered first, so had it queued a job, that job would be there by now: a condition
 * to wait for, where a fixed sleep would be too short on a loaded machine.
 */
async function aLaterCommandIsQueued(before: number): Promise<void> {
  const res = await send('status', OPERATOR);
  expect(res.status).toBe(200);
  await expect.poll(queued, { timeout: 5000 }).toBeGreaterThanOrEqual(before + 1);
  const newest = (await reads.getWaiting()).sort((a, b) => b.timestamp - a.timestamp)[0]!;
  expect(newest.data).toMatchObject({ name: 'status', userId: OPERATOR });
  await newest.remove();
}

describe('signed requests', () => {
  it('a validly signed /mesh status is acked with 200 and queues exactly one job with an anchor message', async () => {
    const before = await queued();
    const res = await send('status');
    expect(res.status).toBe(200);
    await expect.poll(queued, { timeout: 5000 }).toBe(before + 1);
    const anchor = await slack.waitFor((m) => m.channel === CHANNEL && /\/mesh status/.test(m.text ?? ''), 5000);
    expect(anchor.text).toContain(`<@${ADMIN}>`);
    // The web role records the anchor in the job's data right after Slack answered the post.
    await expect.poll(async () => (await reads.getWaiting())[0]?.data.anchorTs, { timeout: 5000 }).toBe(anchor.ts);
    const [job] = await reads.getWaiting();
    expect(job!.data).toMatchObject({
      name: 'status',
      userId: ADMIN,
      channelId: CHANNEL,
      command: { kind: 'status', wait: false },
      anchorTs: anchor.ts,
    });
    expect(JSON.stringify(job!.data)).not.toMatch(/xox|secret|token/i);
    // Taken off the queue again, as no worker runs here: a later status must not join it (statuses coalesce).
    await job!.remove();
  });

  it.each([
    ['a bad signature', () => send('status', ADMIN, CHANNEL, undefined, 'not-the-signing-secret')],
    [
      'a timestamp more than 5 minutes old',
      () => send('status', ADMIN, CHANNEL, Math.floor(Date.now() / 1000) - 6 * 60),
    ],
    [
      'missing signature headers',
      () =>
        fetch(bot.eventsUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(
            slashCommandFields({ text: 'status', userId: ADMIN, channelId: CHANNEL }),
          ).toString(),
        }).then((r) => ({ status: r.status })),
    ],
    [
      'a body changed after signing',
      async () => {
        const body = new URLSearchParams(
          slashCommandFields({ text: 'status', userId: ADMIN, channelId: CHANNEL }),
        ).toString();
        const { signSlackRequest } = await import('../../sandbox/slack/sender.ts');
        const headers = signSlackRequest(SIGNING_SECRET, body);
        const res = await fetch(bot.eventsUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
          body: body.replace('status', 'down'),
        });
        return { status: res.status };
      },
    ],
  ])('%s gets 401 and queues nothing', async (_name, request) => {
    const before = await queued();
    const res = await request();
    expect(res.status).toBe(401);
    await aLaterCommandIsQueued(before);
    expect(await queued()).toBe(before);
  });

  it('postSigned with the right secret but an unparseable body is not queued', async () => {
    const before = await queued();
    await postSigned(bot.eventsUrl, SIGNING_SECRET, 'garbage=1');
    await aLaterCommandIsQueued(before);
    expect(await queued()).toBe(before);
  });
});

describe('who may do what', () => {
  it.each([
    ['up', OPERATOR, CHANNEL, /only mesh admins/i],
    ['down', OPERATOR, CHANNEL, /only mesh admins/i],
    ['scale iad 2', OPERATOR, CHANNEL, /only mesh admins/i],
    ['cancel', OPERATOR, CHANNEL, /only mesh admins/i],
    ['status', OPERATOR, OTHER_CHANNEL, /channel/i],
    ['up', ADMIN, OTHER_CHANNEL, /channel/i],
  ])('/mesh %s by %s in %s is refused with the reason, and nothing is queued', async (text, user, channel, reason) => {
    const before = await queued();
    const res = await send(text, user, channel);
    expect(res.status).toBe(200);
    expect(ackText(res)).toMatch(reason);
    await aLaterCommandIsQueued(before);
    expect(await queued()).toBe(before);
  });

  it.each([
    ['status', OPERATOR],
    ['ping pdx iad-0', OPERATOR],
    ['scale iad 2', ADMIN],
  ])('/mesh %s by %s is queued', async (text, user) => {
    const before = await queued();
    const res = await send(text, user);
    expect(res.status).toBe(200);
    expect(ackText(res)).not.toMatch(/only mesh admins|not allowed/i);
    await expect.poll(queued, { timeout: 5000 }).toBe(before + 1);
    // A status left queued would be joined by later ones (statuses coalesce): taken off again.
    if (text === 'status') {
      const newest = (await reads.getWaiting()).sort((a, b) => b.timestamp - a.timestamp)[0]!;
      await newest.remove();
    }
  });
});

describe('bad input', () => {
  it.each([
    ['stauts', /status/],
    ['scale iad', /scale CLUSTER REPLICAS/],
    ['scale fra 2', /iad.*pdx|pdx.*iad/],
    ['scale iad two', /whole number/],
    ['ping pdx fra-0', /iad/],
    ['up now', /up/],
  ])('/mesh %s says what was wrong and the right form, and queues nothing', async (text, hint) => {
    const before = await queued();
    const res = await send(text);
    expect(res.status).toBe(200);
    expect(ackText(res)).toMatch(hint);
    await aLaterCommandIsQueued(before);
    expect(await queued()).toBe(before);
  });

  it('/mesh help answers at once with every command', async () => {
    const res = await send('help', OPERATOR);
    for (const word of ['up', 'status', 'scale', 'ping', 'down', 'cancel']) expect(ackText(res)).toContain(word);
  });
});

describe('health', () => {
  it('serves /healthz and /readyz (Redis reachable)', async () => {
    const base = bot.eventsUrl.replace('/slack/events', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

describe('readiness without Redis', () => {
  it('/readyz answers 503 without the Redis error text (hosts, ports) on a public URL', async () => {
    const { Redis } = await import('ioredis');
    const { pino } = await import('pino');
    const { createWebApp } = await import('../../src/slack/app.ts');
    const { freePort } = await import('../helpers/redis.ts');
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    dead.on('error', () => undefined);
    const port = await freePort();
    const { parseMeshCommand, describeCommand, helpText } = await import('../../commands/parse.ts');
    const { authorize } = await import('../../commands/authorize.ts');
    const web = createWebApp({
      commands: { parse: parseMeshCommand, authorize, describe: describeCommand, help: helpText },
      botToken: 'xoxb-test-meshops-bot',
      signingSecret: SIGNING_SECRET,
      slackApiUrl: slack.apiUrl,
      port,
      admins: [ADMIN],
      channels: [CHANNEL],
      spec: bot.config.spec,
      redis: dead,
      log: pino({ level: 'silent' }),
      enqueue: {
        queues: undefined as never,
        redis: dead,
        prefix: 'x',
        mesh: bot.config.spec.name,
        log: pino({ level: 'silent' }),
        describe: () => '',
      },
    });
    await web.start();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(503);
      const body = await res.text();
      expect(body).toBe("redis unreachable: the reason is in the bot's log");
      expect(body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:1\b|Connection is closed/);
    } finally {
      await web.stop();
      dead.disconnect();
    }
  });
});

describe('one door for commands and buttons', () => {
  const audits = (pred: (l: Record<string, unknown>) => boolean) => logLines.filter((l) => l.audit === true && pred(l));
  const to = () => ({ http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } });

  async function confirmIn(channel: string): Promise<string> {
    const web = new WebClient('xoxb-test-meshops-bot', { slackApiUrl: slack.apiUrl });
    const posted = await web.chat.postMessage({
      channel,
      text: 'Delete mesh?',
      blocks: confirmBlocks(bot.config.spec.name, '3 VPCs', '$1.00', Date.now()),
    });
    return posted.ts!;
  }

  it('a down confirmation clicked outside MESH_CHANNELS is refused by the channel policy, audited, and queues nothing', async () => {
    const ts = await confirmIn(OTHER_CHANNEL);
    const before = await queued();
    await slack.clickButton({
      to: to(),
      userId: ADMIN,
      channelId: OTHER_CHANNEL,
      messageTs: ts,
      actionId: DOWN_CONFIRM_ACTION,
    });
    const answer = await slack.waitFor(
      (m) => m.channel === OTHER_CHANNEL && m.visibleTo === ADMIN && /runs only in/.test(m.text),
      5000,
    );
    expect(answer.text).toMatch(/Nothing was deleted/);
    expect(audits((l) => l.via === 'button' && l.channelId === OTHER_CHANNEL)).toEqual([
      expect.objectContaining({ userId: ADMIN, allowed: false, reason: expect.stringMatching(/runs only in/) }),
    ]);
    expect(await queued()).toBe(before);
  });

  it('a request from another workspace (Slack Connect) is refused and audited: command, bad input and button alike', async () => {
    const before = await queued();
    const FOREIGN = 'T0OTHERORG';
    for (const text of ['status', 'up', 'stauts']) {
      const res = await sendSlashCommand({
        url: bot.eventsUrl,
        signingSecret: SIGNING_SECRET,
        text,
        userId: ADMIN,
        channelId: CHANNEL,
        teamId: FOREIGN,
        responseUrl: slack.createResponseUrl({ channel: CHANNEL, user: ADMIN }),
      });
      expect(ackText(res)).toMatch(/another workspace or organization/);
    }
    const ts = await confirmIn(CHANNEL);
    await slack.clickButton({
      to: to(),
      userId: ADMIN,
      channelId: CHANNEL,
      messageTs: ts,
      actionId: DOWN_CONFIRM_ACTION,
      teamId: FOREIGN,
    });
    await slack.waitFor(
      (m) => m.visibleTo === ADMIN && /another workspace/.test(m.text) && /Nothing was deleted/.test(m.text),
      5000,
    );
    const refused = audits((l) => Array.isArray(l.teamIds) && (l.teamIds as string[]).includes(FOREIGN));
    expect(refused.map((l) => [l.via, l.command, l.allowed])).toEqual([
      ['slash command', '/mesh status', false],
      ['slash command', '/mesh up', false],
      ['slash command', '/mesh stauts', false],
      ['button', 'button: confirm /mesh down', false],
    ]);
    expect(await queued()).toBe(before);
  });

  it('the same workspace is let through, and its decisions are audited too', async () => {
    const before = await queued();
    await send('status', OPERATOR);
    await expect
      .poll(() => audits((l) => l.userId === OPERATOR && l.command === '/mesh status' && l.allowed === true).length)
      .toBeGreaterThan(0);
    // Let through means queued; taken off again so that it cannot land in a later test's count.
    await expect.poll(queued, { timeout: 5000 }).toBe(before + 1);
    const newest = (await reads.getWaiting()).sort((a, b) => b.timestamp - a.timestamp)[0]!;
    await newest.remove();
  });
});

describe('channels the bot cannot post in', () => {
  const closed = [
    {
      id: 'C0NOTIN01',
      name: 'not-invited',
      isMember: false,
      expect: /not a member of this channel.*\/invite @meshops/,
    },
    {
      id: 'G0SECRET1',
      name: 'secret',
      isPrivate: true,
      isMember: false,
      expect: /private channel has not invited me.*\/invite @meshops/,
    },
    { id: 'C0ARCHIVE', name: 'old', isArchived: true, expect: /is archived/ },
  ];
  let second: TestBot;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    for (const { expect: _e, ...c } of closed) slack.workspace.addChannel(c);
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    second = await startTestBot({
      redisUrl: redis.url,
      slackApiUrl: slack.apiUrl,
      role: 'web',
      prefix: bot.prefix,
      log: pino({ level: 'info' }, destination),
      extraEnv: { MESH_CHANNELS: [CHANNEL, ...closed.map((c) => c.id)].join(',') },
    });
  });
  afterAll(async () => {
    await second?.meshops.stop();
  });

  it.each(closed)('a command in $name is answered with what to do, and nothing is queued', async (c) => {
    const before = await added();
    const res = await sendSlashCommand({
      url: second.eventsUrl,
      signingSecret: SIGNING_SECRET,
      text: 'status',
      userId: OPERATOR,
      channelId: c.id,
      responseUrl: slack.createResponseUrl({ channel: c.id, user: OPERATOR }),
    });
    expect(res.status).toBe(200);
    const answer = await slack.waitFor(
      (m) => m.channel === c.id && m.visibleTo === OPERATOR && /was not queued/.test(m.text),
      5000,
    );
    expect(answer.text).toMatch(c.expect);
    expect(await added()).toBe(before);
  });

  it('at start, says in the log which MESH_CHANNELS entries cannot be used, and why', async () => {
    await expect.poll(() => lines.filter((l) => l.msg === 'MESH_CHANNELS checked').length, { timeout: 5000 }).toBe(1);
    const warned = lines
      .filter((l) => typeof l.msg === 'string' && l.msg.includes('is not usable'))
      .map((l) => [l.channel, l.reason]);
    expect(warned.sort()).toEqual([
      ['C0ARCHIVE', 'archived'],
      ['C0NOTIN01', 'not_in_channel'],
      ['G0SECRET1', 'private'],
    ]);
    expect(lines.find((l) => l.msg === 'MESH_CHANNELS checked')).toMatchObject({ usable: [CHANNEL] });
  });
});

describe('the down confirmation', () => {
  const to = () => ({ http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } });
  const web = () => new WebClient('xoxb-test-meshops-bot', { slackApiUrl: slack.apiUrl });
  const INVENTORY =
    '• us-east-1: 1 EKS cluster(s) (demo-iad + node groups demo-iad-ng); 2 NAT gateway(s) (nat-1, nat-2)';
  const downJobs = async () =>
    (await changes.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).filter((j) => j.name === 'down').length;
  const post = async (now = Date.now()) =>
    (
      await web().chat.postMessage({
        channel: CHANNEL,
        text: 'Delete mesh?',
        blocks: confirmBlocks(bot.config.spec.name, INVENTORY, '$1.63', now),
      })
    ).ts!;
  const click = (ts: string, actionId: string, userId = ADMIN) =>
    slack.clickButton({ to: to(), userId, channelId: CHANNEL, messageTs: ts, actionId });

  it('works once: a double click and a later click start one teardown; the message keeps the inventory and says who confirmed', async () => {
    const ts = await post();
    const before = await downJobs();
    await Promise.all([click(ts, DOWN_CONFIRM_ACTION), click(ts, DOWN_CONFIRM_ACTION)]);
    await expect
      .poll(() => slack.ephemeral(CHANNEL, ADMIN).filter((m) => /already used/.test(m.text)).length, { timeout: 5000 })
      .toBeGreaterThan(0);
    const msg = await slack.waitFor((m) => m.ts === ts && /Confirmed by <@U0ADMIN01>/.test(m.text), 5000);
    expect(JSON.stringify(msg.blocks)).toContain('2 NAT gateway(s) (nat-1, nat-2)');
    expect(JSON.stringify(msg.blocks)).not.toContain(DOWN_CONFIRM_ACTION);
    expect(await downJobs()).toBe(before + 1);
    const newest = (await changes.getJobs(['waiting']))
      .filter((j) => j.name === 'down')
      .sort((a, b) => b.timestamp - a.timestamp)[0]!;
    expect(msg.text).toContain(`job ${String(newest.id).replace('job-', '')}`);
  });

  it('"Keep it" uses it up too: nothing is queued, and a later Delete does nothing', async () => {
    const ts = await post();
    const original = slack.messages(CHANNEL).find((m) => m.ts === ts)!;
    const value = JSON.stringify(original.blocks)
      .match(/"value":"((?:[^"\\]|\\.)*)"/)![1]!
      .replace(/\\"/g, '"');
    const before = await downJobs();
    await click(ts, DOWN_KEEP_ACTION);
    const kept = await slack.waitFor((m) => m.ts === ts && /Kept: <@U0ADMIN01> chose to keep/.test(m.text), 5000);
    expect(JSON.stringify(kept.blocks)).not.toContain(DOWN_CONFIRM_ACTION);
    // Another admin's client still showed the old message and sends Delete with the same value.
    await sendBlockAction({
      url: bot.eventsUrl,
      signingSecret: SIGNING_SECRET,
      userId: ADMIN,
      channelId: CHANNEL,
      messageTs: ts,
      actionId: DOWN_CONFIRM_ACTION,
      value,
      message: { ts, text: original.text, blocks: original.blocks },
      responseUrl: slack.createResponseUrl({ channel: CHANNEL, user: ADMIN, originalTs: ts }),
    });
    await slack.waitFor((m) => m.visibleTo === ADMIN && /already used: <@U0ADMIN01> kept the mesh/.test(m.text), 5000);
    expect(await downJobs()).toBe(before);
  });

  it('a click after 5 minutes edits the message to "expired, nothing deleted" and queues nothing', async () => {
    const ts = await post(Date.now() - 6 * 60_000);
    const before = await downJobs();
    await click(ts, DOWN_CONFIRM_ACTION);
    const msg = await slack.waitFor((m) => m.ts === ts && /expired, nothing deleted/.test(m.text), 5000);
    expect(JSON.stringify(msg.blocks)).toContain('nat-1, nat-2');
    expect(await downJobs()).toBe(before);
  });

  it('a long inventory shows counts per region and attaches the full list as a file', async () => {
    const { postDownConfirmation } = await import('../../src/slack/down-confirm.ts');
    const ids = (p: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${p}-0${String(i).padStart(16, '0')}`).join(', ');
    const inventory = [
      `• us-east-1: 40 subnet(s) (${ids('subnet', 40)}); 30 route table(s) (${ids('rtb', 30)})`,
      `• us-west-2: 40 subnet(s) (${ids('subnet', 40)}); 1 VPC(s) (vpc-1)`,
    ].join('\n');
    const { ts } = await postDownConfirmation(web(), CHANNEL, {
      mesh: 'demo',
      inventory,
      hourlyCost: '$9.00',
      now: Date.now(),
    });
    const msg = slack.messages(CHANNEL).find((m) => m.ts === ts)!;
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain('• us-east-1: 40 subnet(s); 30 route table(s)');
    expect(text).not.toContain('subnet-00000000000000000001');
    const file = slack.thread(CHANNEL, ts).flatMap((m) => m.files)[0]!;
    expect(file.name).toBe('down-demo-inventory.txt');
    expect(file.bytes!.toString()).toBe(inventory);
  });
});

describe('buttons on a queued job', () => {
  const to = () => ({ http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } });
  const anchorOf = (re: RegExp, user: string) =>
    slack.waitFor(
      (m) =>
        m.channel === CHANNEL &&
        !m.threadTs &&
        re.test(m.text) &&
        m.text.includes(`<@${user}>`) &&
        JSON.stringify(m.blocks).includes('mesh_job_cancel'),
      5000,
    );

  it('whoever asked a read-only job may cancel it from its Cancel button; its anchor then says nothing was done', async () => {
    await send('status --wait', OPERATOR);
    const anchor = await anchorOf(/status --wait/, OPERATOR);
    const n = /job (\d+)/.exec(anchor.text)![1]!;
    const before = await queued();
    // The app's chat.update bucket (shared-edit-budget.ts): the removal edit takes from it, as every edit does.
    const r = new Redis(redis.url);
    const bucket = () => r.hget(`${bot.prefix}:slack-budget:chat.update`, 'at');
    const takenAt = await bucket();
    await slack.clickLabel({ to: to(), userId: OPERATOR, channelId: CHANNEL, label: `Cancel job ${n}` });
    await slack.waitFor((m) => m.visibleTo === OPERATOR && new RegExp(`Removed job ${n}`).test(m.text), 5000);
    const edited = await slack.waitFor(
      (m) => m.ts === anchor.ts && /Removed from the queue by <@U0OPERATOR>/.test(m.text),
      5000,
    );
    expect(JSON.stringify(edited.blocks)).not.toContain('mesh_job_cancel');
    expect(await queued()).toBe(before - 1);
    expect(await bucket()).not.toBe(takenAt);
    r.disconnect();
  });

  it("someone else's change job cannot be cancelled by a non-admin: refused with the reason, still queued", async () => {
    await send('scale iad 3', ADMIN);
    const anchor = await anchorOf(/scale iad 3/, ADMIN);
    const n = /job (\d+)/.exec(anchor.text)![1]!;
    const before = await queued();
    await slack.clickButton({
      to: to(),
      userId: OPERATOR,
      channelId: CHANNEL,
      messageTs: anchor.ts,
      actionId: 'mesh_job_cancel',
    });
    await slack.waitFor((m) => m.visibleTo === OPERATOR && /Only mesh admins/.test(m.text), 5000);
    expect(await queued()).toBe(before);
    expect(n).toMatch(/^\d+$/);
  });
});

describe('help that knows you', () => {
  const blocksOf = (res: { json?: unknown }) =>
    JSON.stringify((res.json as { blocks?: unknown[] } | undefined)?.blocks ?? []);

  it('is Block Kit, and tells a non-admin what they may run and who the admins are', async () => {
    const res = await send('help', OPERATOR);
    const blocks = blocksOf(res);
    expect(blocks).toContain('"type":"header"');
    expect(blocks).toMatch(/You are not a mesh admin/);
    expect(blocks).toContain(`<@${ADMIN}>`);
    expect(blocks).toContain(`<#${CHANNEL}>`);
    expect(blocks).toMatch(/including this one/);
  });

  it('tells an admin they may run everything, and from another channel where /mesh runs', async () => {
    const res = await send('help', ADMIN, OTHER_CHANNEL);
    const blocks = blocksOf(res);
    expect(blocks).toMatch(/You are a \*mesh admin\*/);
    expect(blocks).toMatch(/not this one, so run it there/);
  });
});

describe('the App Home', () => {
  const to = () => ({ http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } });

  it('lists a queued job with its Cancel button for whoever asked it; pressing it there cancels and says so there', async () => {
    await send('status --wait', OPERATOR);
    const anchor = await slack.waitFor(
      (m) =>
        m.channel === CHANNEL &&
        !m.threadTs &&
        /status --wait/.test(m.text) &&
        m.text.includes(`<@${OPERATOR}>`) &&
        /queued/i.test(m.text),
      5000,
    );
    const n = /job (\d+)/.exec(anchor.text)![1]!;
    const opened = await slack.openHome({ userId: OPERATOR, to: to() });
    expect(opened.acked).toBe(true);
    await expect
      .poll(() => JSON.stringify(slack.home(OPERATOR)?.blocks ?? []), { timeout: 5000 })
      .toContain(`Cancel job ${n}`);
    const before = await queued();
    await slack.clickHomeButton({ userId: OPERATOR, label: `Cancel job ${n}`, to: to() });
    await expect
      .poll(() => JSON.stringify(slack.home(OPERATOR)?.blocks ?? []), { timeout: 5000 })
      .toContain(`Removed job ${n}`);
    expect(await queued()).toBe(before - 1);
    expect(JSON.stringify(slack.home(OPERATOR)!.blocks)).toMatch(/You are one|Admins/);
  });
});
