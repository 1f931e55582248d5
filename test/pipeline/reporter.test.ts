// Progress in Slack under Slack's own limits: the anchor is edited about once a second however fast steps
// finish, 429s are waited out, and output too long for a message goes up as a file.
import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageText } from '../../sandbox/slack/transcript.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { systemClock } from '../../src/clock.ts';
import { makeSlackClients, type SlackClients } from '../../src/slack/client.ts';
import { makeEditBudget } from '../../src/slack/edit-budget.ts';
import { ProgressReporter } from '../../src/slack/reporter.ts';

const CHANNEL = 'C0PROGRESS';
let slack: SlackStandIn;
let client: WebClient;

beforeEach(async () => {
  slack = await startSlackStandIn({ botToken: 'xoxb-test-meshops-bot', channels: [{ id: CHANNEL, name: 'progress' }] });
  client = new WebClient('xoxb-test-meshops-bot', { slackApiUrl: slack.apiUrl });
});
afterEach(async () => {
  await slack.close();
});

const reporter = (jobId = '1') =>
  new ProgressReporter({
    client,
    channel: CHANNEL,
    title: '/mesh up',
    jobId,
    userId: 'U0ADMIN01',
    clock: systemClock,
    log: pino({ level: 'silent' }),
  });

describe('the progress message', () => {
  it('is edited at most about once a second while steps finish hundreds of times faster', async () => {
    const r = reporter();
    const anchor = await r.ensureAnchor();
    r.setTotal(300);
    const started = Date.now();
    for (let i = 0; i < 300; i++) {
      r.note(`working on ${i}`);
      if (i % 100 === 99) r.stepFinished(`batch ${i}`, `did ${i}`, 5);
      await new Promise((res) => setTimeout(res, 10));
    }
    await r.finish('succeeded', 'All done: 300 steps.');
    const seconds = (Date.now() - started) / 1000;
    const msg = slack.messages(CHANNEL).find((m) => m.ts === anchor)!;
    expect(msg.edits).toBeLessThanOrEqual(Math.ceil(seconds / 1.2) + 2);
    expect(msg.edits).toBeGreaterThanOrEqual(2);
    expect(slack.stats()['chat.update']?.rateLimited ?? 0).toBe(0);
    expect(msg.text).toContain('All done: 300 steps.');
    // The step replies (the last reply, which tells the requester the job ended, is tested below).
    expect(
      slack
        .thread(CHANNEL, anchor)
        .filter((m) => !m.text.startsWith('<@'))
        .map((m) => m.text),
    ).toEqual([
      expect.stringContaining('batch 99'),
      expect.stringContaining('batch 199'),
      expect.stringContaining('batch 299'),
    ]);
  }, 30_000);

  it('waits out Slack 429s (Retry-After) when many jobs edit at once, and every final state still arrives', async () => {
    // A tighter chat.update budget than Slack's, so that the test meets 429s within seconds.
    await slack.close();
    slack = await startSlackStandIn({
      botToken: 'xoxb-test-meshops-bot',
      channels: [{ id: CHANNEL, name: 'progress' }],
      rateLimits: { 'chat.update': { burst: 4, perSecond: 3, scope: 'workspace' } },
    });
    client = new WebClient('xoxb-test-meshops-bot', { slackApiUrl: slack.apiUrl });
    const reporters = Array.from({ length: 5 }, (_, i) => reporter(String(i + 1)));
    const anchors = await Promise.all(reporters.map((r) => r.ensureAnchor()));
    for (let tick = 0; tick < 10; tick++) {
      for (const r of reporters) r.note(`tick ${tick}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    await Promise.all(reporters.map((r, i) => r.finish('succeeded', `job ${i + 1} finished`)));
    expect(slack.stats()['chat.update']?.rateLimited ?? 0).toBeGreaterThan(0);
    anchors.forEach((ts, i) => {
      expect(slack.messages(CHANNEL).find((m) => m.ts === ts)!.text).toContain(`job ${i + 1} finished`);
    });
  }, 60_000);

  it('posts output longer than a message allows as a file in the thread', async () => {
    const r = reporter();
    const anchor = await r.ensureAnchor();
    const longLog = Array.from(
      { length: 400 },
      (_, i) => `2026-11-25 14:00:${String(i % 60).padStart(2, '0')} [INFO] calico-typha: line ${i}`,
    ).join('\n');
    await r.reply('typha log', longLog, 'typha.log');
    const thread = slack.thread(CHANNEL, anchor);
    const withFile = thread.find((m) => m.files.length > 0);
    expect(withFile?.files[0]?.name).toBe('typha.log');
    expect(slack.stats()['chat.postMessage']?.errors ?? 0).toBe(0);
  });
});

describe('text from outside', () => {
  it("is escaped: kubectl's <none> reads as <none>, captured <!here> pings nobody, & stays &", async () => {
    const r = reporter();
    const anchor = await r.ensureAnchor();
    const kubectl =
      'NAME        TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)\nkubernetes  ClusterIP   10.100.0.1   <none>        443/TCP';
    r.stepFinished('Read the services', 'found 1', 5, kubectl);
    r.stepFailed('Read the logs', 'pod said <!here> <!channel> & <@U0BOB0001> <https://evil.example|click>', 7);
    await r.finish('failed', 'Failed: exit <code> & more');
    const thread = slack.thread(CHANNEL, anchor).map((m) => messageText(slack, m));
    expect(thread[0]).toContain('<none>');
    expect(thread[1]).toContain('pod said <!here> <!channel> & <@U0BOB0001> <https://evil.example|click>');
    const final = messageText(slack, slack.messages(CHANNEL).find((m) => m.ts === anchor)!);
    expect(final).toContain('Failed: exit <code> & more');
    // Only the bot's own mention of the requester notifies anyone.
    expect(
      slack
        .notifications(CHANNEL)
        .map((n) => n.to)
        .filter((to) => to !== 'U0ADMIN01'),
    ).toEqual([]);
  });
});

describe('the end of a job', () => {
  it('mentions the requester in a new thread reply (the final edit alone notifies nobody)', async () => {
    const r = reporter('7');
    const anchor = await r.ensureAnchor();
    r.stepFinished('Create the VPC', 'vpc-1 created', 5);
    await r.finish('succeeded', 'Mesh demo is up.\nmore lines');
    const atEnd = slack.notifications(CHANNEL).filter((n) => n.threadTs === anchor && n.to === 'U0ADMIN01');
    expect(atEnd).toHaveLength(1);
    const reply = slack.thread(CHANNEL, anchor).find((m) => m.ts === atEnd[0]!.ts)!;
    expect(messageText(slack, reply)).toMatch(/@U0ADMIN01 .*\/mesh up.*job 7.*finished in .*: Mesh demo is up\.$/);
    expect(reply.broadcast).toBeFalsy();
  });

  it("counts the job's time to its end, not to the last of its thread replies going out", async () => {
    // A clock that moves 10 s with every message Slack takes: a long thread drains well after the work is done.
    let now = 0;
    const clock = { now: () => now, sleep: systemClock.sleep };
    const r = new ProgressReporter({
      client,
      channel: CHANNEL,
      title: '/mesh up',
      jobId: '9',
      userId: 'U0ADMIN01',
      clock,
      log: pino({ level: 'silent' }),
    });
    const anchor = await r.ensureAnchor();
    const stop = slack.onChange((c) => {
      if (c.kind !== 'delete' && c.message.threadTs === anchor) now += 10_000;
    });
    r.setTotal(3);
    now = 12_000;
    for (const step of ['VPC', 'subnets', 'NAT gateways']) r.stepFinished(`Create the ${step}`, 'created', 1);
    await r.finish('succeeded', 'Mesh demo is up.');
    stop();
    const end = slack.thread(CHANNEL, anchor).find((m) => /finished in/.test(m.text))!;
    expect(messageText(slack, end)).toMatch(/finished in 12s: Mesh demo is up\./);
    const final = messageText(slack, slack.messages(CHANNEL).find((m) => m.ts === anchor)!);
    expect(final).toMatch(/· 12s elapsed/);
  });

  it('shows a failure in the channel too (reply_broadcast), mentioning the requester', async () => {
    const r = reporter('8');
    const anchor = await r.ensureAnchor();
    await r.finish('failed', 'Failed: the NAT gateway failed');
    const inChannel = slack.messages(CHANNEL).filter((m) => m.threadTs === anchor);
    expect(inChannel).toHaveLength(1);
    expect(inChannel[0]!.broadcast).toBe(true);
    expect(messageText(slack, inChannel[0]!)).toMatch(/job 8.*failed after .*: Failed: the NAT gateway failed/);
    expect(slack.notifications(CHANNEL).some((n) => n.ts === inChannel[0]!.ts && n.to === 'U0ADMIN01')).toBe(true);
  });
});

describe('Slack under pressure', () => {
  const withClients = async (
    rateLimits: Record<string, { burst: number; perSecond: number; scope: 'workspace' | 'channel' }>,
  ) => {
    await slack.close();
    slack = await startSlackStandIn({
      botToken: 'xoxb-test-meshops-bot',
      channels: [{ id: CHANNEL, name: 'progress' }],
      rateLimits,
    });
    return makeSlackClients(
      'xoxb-test-meshops-bot',
      { apiUrl: slack.apiUrl, timeoutMs: 2000 },
      pino({ level: 'silent' }),
    );
  };
  const make = (clients: SlackClients, jobId: string, budget = makeEditBudget()) =>
    new ProgressReporter({
      client: clients.calls,
      editClient: clients.edits,
      budget,
      channel: CHANNEL,
      title: '/mesh up',
      jobId,
      userId: 'U0ADMIN01',
      clock: systemClock,
      log: pino({ level: 'silent' }),
    });

  it('thread replies are not held behind progress edits that Slack rate-limits', async () => {
    // chat.update allows one call every 5 s here: every edit after the first meets a 429 with Retry-After 5.
    const clients = await withClients({ 'chat.update': { burst: 1, perSecond: 0.2, scope: 'workspace' } });
    const r = make(clients, '1', makeEditBudget({ perMinute: 600, burst: 50 }));
    const anchor = await r.ensureAnchor();
    // Monotonic: the wall clock can step while a test runs (one CI run saw Date.now() move 10 s in a 1.3 s test).
    const started = performance.now();
    for (let i = 0; i < 3; i++) {
      r.note(`tick ${i}`);
      r.stepFinished(`step ${i}`, 'done', 5);
      await new Promise((res) => setTimeout(res, 300));
    }
    await r.flush();
    const replies = slack.thread(CHANNEL, anchor);
    expect(replies.map((m) => m.text)).toEqual([
      expect.stringContaining('step 0'),
      expect.stringContaining('step 1'),
      expect.stringContaining('step 2'),
    ]);
    expect(performance.now() - started).toBeLessThan(4000);
    expect(slack.stats()['chat.update']?.rateLimited ?? 0).toBeGreaterThan(0);
    await r.finish('succeeded', 'all done');
    expect(slack.messages(CHANNEL).find((m) => m.ts === anchor)!.text).toContain('all done');
  }, 30_000);

  it('five jobs share one edit budget: Slack refuses none of their progress edits, and each final state arrives', async () => {
    const clients = await withClients({ 'chat.update': { burst: 3, perSecond: 1, scope: 'workspace' } });
    const budget = makeEditBudget({ perMinute: 50, burst: 3 });
    const reporters = Array.from({ length: 5 }, (_, i) => make(clients, String(i + 1), budget));
    const anchors = await Promise.all(reporters.map((r) => r.ensureAnchor()));
    for (let tick = 0; tick < 15; tick++) {
      for (const r of reporters) r.note(`tick ${tick}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    await Promise.all(reporters.map((r) => r.flush()));
    // The progress edits stayed within Slack's limit; the five final states go at once (a 429 among them is
    // waited out), and the budget's debt holds back the edits after them.
    expect(slack.stats()['chat.update']?.rateLimited ?? 0).toBe(0);
    await Promise.all(reporters.map((r, i) => r.finish('succeeded', `job ${i + 1} finished`)));
    anchors.forEach((ts, i) =>
      expect(slack.messages(CHANNEL).find((m) => m.ts === ts)!.text).toContain(`job ${i + 1} finished`),
    );
  }, 60_000);
});

describe("Slack's limit on posts in one channel", () => {
  it('several jobs replying at once in one channel: every reply arrives once, in order, and each end is told', async () => {
    // Slack's own limits: chat.postMessage about one a second per channel after a short burst.
    const clients = makeSlackClients(
      'xoxb-test-meshops-bot',
      { apiUrl: slack.apiUrl, timeoutMs: 2000 },
      pino({ level: 'silent' }),
    );
    const reporters = Array.from(
      { length: 4 },
      (_, i) =>
        new ProgressReporter({
          client: clients.calls,
          editClient: clients.edits,
          channel: CHANNEL,
          title: '/mesh status',
          jobId: String(i + 1),
          userId: 'U0ADMIN01',
          clock: systemClock,
          log: pino({ level: 'silent' }),
        }),
    );
    const anchors = await Promise.all(reporters.map((r) => r.ensureAnchor()));
    reporters.forEach((r, i) => {
      for (let step = 1; step <= 3; step++) r.stepFinished(`job ${i + 1} step ${step}`, 'done', 5);
    });
    await Promise.all(reporters.map((r, i) => r.finish('succeeded', `job ${i + 1} finished`)));
    expect(slack.stats()['chat.postMessage']?.rateLimited ?? 0).toBeGreaterThan(0);
    anchors.forEach((ts, i) =>
      expect(slack.thread(CHANNEL, ts).map((m) => m.text)).toEqual([
        expect.stringContaining(`job ${i + 1} step 1`),
        expect.stringContaining(`job ${i + 1} step 2`),
        expect.stringContaining(`job ${i + 1} step 3`),
        expect.stringMatching(new RegExp(`^<@U0ADMIN01> .*\\(job ${i + 1}\\) finished`)),
      ]),
    );
  }, 60_000);
});

describe('the anchor of a check', () => {
  it.each([
    ['ok', ':white_check_mark:'],
    ['warning', ':large_yellow_circle:'],
    ['failing', ':red_circle:'],
  ] as const)("shows the verdict %s by its icon, not the job's own success", async (verdict, icon) => {
    const r = reporter('9');
    const anchor = await r.ensureAnchor();
    await r.finish('succeeded', 'Mesh demo: 1 failing', [], verdict);
    expect(
      slack
        .messages(CHANNEL)
        .find((m) => m.ts === anchor)!
        .text.startsWith(icon),
    ).toBe(true);
  });
});

describe('less noise', () => {
  it('steps that found everything in place go into one reply, not one each', async () => {
    const r = reporter('12');
    const anchor = await r.ensureAnchor();
    r.stepFinished('VPC iad', 'vpc-1 exists', 5, undefined, { changed: false });
    r.stepFinished('VPC pdx', 'vpc-2 exists', 5, undefined, { changed: false });
    r.stepFinished('Subnets iad', '4 subnets', 5, undefined, { changed: false });
    r.stepFinished('Cluster iad', 'created demo-iad', 5);
    await r.flush();
    const texts = slack.thread(CHANNEL, anchor).map((m) => m.text);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/^:white_check_mark: 3 steps already in place/);
    expect(texts[0]).toContain('*VPC pdx*: vpc-2 exists');
    expect(texts[1]).toContain('Cluster iad');
  });

  it('says what a step that changed nothing did: in place, already gone, or checked (never "in place" for a wait)', async () => {
    const r = reporter('13');
    const anchor = await r.ensureAnchor();
    r.stepFinished('delete VPC iad', 'no VPC left', 5, undefined, { changed: false, unchanged: 'gone' });
    r.stepFinished('delete VPC pdx', 'no VPC left', 5, undefined, { changed: false, unchanged: 'gone' });
    r.stepFinished('wait for typha sync', 'in sync on 2/2 replicas', 5, undefined, {
      changed: false,
      unchanged: 'checked',
    });
    r.stepFinished('VPC iad', 'vpc-1 exists', 5, undefined, { changed: false, unchanged: 'in place' });
    await r.flush();
    const texts = slack.thread(CHANNEL, anchor).map((m) => m.text);
    expect(texts).toHaveLength(3);
    expect(texts[0]).toMatch(/^:white_check_mark: 2 steps already gone, nothing to delete/);
    expect(texts[1]).toMatch(/^:white_check_mark: 1 step checked, nothing to change/);
    expect(texts[1]).toContain('*wait for typha sync*: in sync on 2/2 replicas');
    expect(texts[2]).toMatch(/^:white_check_mark: 1 step already in place/);
    expect(texts.join('\n')).not.toMatch(/in place.*(no VPC left|typha)/);
  });

  it('a long excerpt is one upload with its comment, named after the job and step', async () => {
    const r = reporter('12');
    const anchor = await r.ensureAnchor();
    const longLog = Array.from({ length: 300 }, (_, i) => `calico-node line ${i}`).join('\n');
    r.stepFinished('Calico ready', 'ready in iad', 5, longLog);
    await r.flush();
    const thread = slack.thread(CHANNEL, anchor);
    expect(thread).toHaveLength(1);
    expect(thread[0]!.files.map((f) => f.name)).toEqual(['job-12-calico-ready.txt']);
    expect(thread[0]!.text).toContain('Calico ready');
  });

  it("a section cut at Slack's 3000 characters says how many lines are left, and closes its code block", async () => {
    const { section } = await import('../../src/slack/format.ts');
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} of the table`).join('\n');
    const text = section(`\`\`\`\n${lines}\n\`\`\``).text.text;
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/```\n… and \d+ more lines$/);
    const shown = text.split('\n').filter((l) => l.startsWith('line ')).length;
    expect(Number(/and (\d+) more/.exec(text)![1])).toBe(200 - shown);
  });
});
