// `npm start` with ROLE=all: one process, the web role on the main thread and the worker role in a worker thread
// (src/worker-thread.ts). A real status job runs to its end in the thread, its metrics reach the web role's
// /metrics, and SIGTERM in the middle of a job hands it back at a safe point (the thread first, then the web
// server), exit 0; the next process resumes it.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '../../sandbox/aws/moto.ts';
import { freePort } from '../../sandbox/redis.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { tagSpec } from '../../src/aws/tags.ts';
import { ADMIN, botEnv, CHANNEL, SIGNING_SECRET } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AWS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };

let redis: TestRedis;
let slack: SlackStandIn;
let moto: MotoServer;

interface Bot {
  child: ChildProcess;
  url: string;
  lines: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}
const bots: Bot[] = [];

async function startBot(extra: Record<string, string> = {}): Promise<Bot> {
  const port = await freePort();
  const env = {
    ...process.env,
    ...botEnv({ redisUrl: redis.url, slackApiUrl: slack.apiUrl, port, role: 'all' }),
    ...AWS,
    AWS_ENDPOINT_URL: moto.endpoint,
    LOG_LEVEL: 'info',
    POLL_INTERVAL_SECONDS: '0.5',
    ...extra,
  };
  const child = spawn(process.execPath, [`${ROOT}src/main.ts`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const bot: Bot = {
    child,
    url: `http://127.0.0.1:${port}`,
    lines: [],
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
  };
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) bot.lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  bots.push(bot);
  await expect
    .poll(async () => (await fetch(`${bot.url}/healthz`).catch(() => undefined))?.status, { timeout: 60_000 })
    .toBe(200);
  return bot;
}

const ask = (bot: Bot, text: string, userId = ADMIN) =>
  slack.slashCommand({
    text,
    userId,
    channelId: CHANNEL,
    to: { http: { url: `${bot.url}/slack/events`, signingSecret: SIGNING_SECRET } },
  });
const logged = (bot: Bot, msg: string) => bot.lines.filter((l) => l.msg === msg);

beforeAll(async () => {
  [redis, moto, slack] = await Promise.all([
    startRedis(),
    startMoto(),
    startSlackStandIn({
      rateLimits: false,
      botToken: 'xoxb-test-meshops-bot',
      channels: [{ id: CHANNEL, name: 'ops' }],
    }),
  ]);
}, 60_000);
// A bot left running by a failed test would take the next test's jobs.
afterEach(async () => {
  for (const b of bots.splice(0)) {
    if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
    await b.exited;
  }
});
afterAll(async () => {
  await slack?.close();
  await moto?.stop();
  await redis?.stop();
});

describe('single-process mode (ROLE=all, as npm start runs it)', () => {
  it('runs a real status job to its end on the worker thread, and /metrics shows it', async () => {
    const bot = await startBot();
    await ask(bot, 'status');
    const anchor = await slack.waitFor(
      (m) => !m.threadTs && /\/mesh status/.test(m.text) && /not built|nothing/i.test(m.text),
      60_000,
    );
    await slack.waitFor((m) => m.threadTs === anchor.ts && m.text.startsWith(`<@${ADMIN}>`), 30_000);
    // The job ran on the worker thread's event loop; the web role queued it from the main thread.
    await expect.poll(() => logged(bot, 'job finished').length, { timeout: 10_000 }).toBe(1);
    expect(logged(bot, 'job finished')[0]).toMatchObject({ thread: 'worker', role: 'worker', command: 'status' });
    expect(logged(bot, 'job queued')[0]).toMatchObject({ role: 'web' });
    expect(logged(bot, 'job queued')[0]?.thread).toBeUndefined();
    expect(logged(bot, 'worker role started')[0]).toMatchObject({ thread: 'worker' });
    // On a busy CPU the acks go first: the worker thread runs at a lower priority (nice) than the web role.
    expect(await niceOf(bot.child.pid!, 'WorkerThread')).toBe((await niceOf(bot.child.pid!, 'MainThread')) + 5);
    // The thread's counters are merged into the web role's scrape.
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metrics).toMatch(/^meshops_jobs_total\{command="status",outcome="succeeded"\} 1$/m);
    expect(metrics.match(/^# TYPE meshops_jobs_total /gm)).toHaveLength(1);

    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 120_000);

  it('asks that join a status are each answered in their own thread; their joined anchors come from the worker thread', async () => {
    const bot = await startBot();
    const askers = [ADMIN, 'U0JOINER01', 'U0JOINER02', 'U0JOINER03', 'U0JOINER04'];
    await Promise.all(askers.map((u) => ask(bot, 'status', u)));
    for (const u of askers) {
      const anchor = await slack.waitFor(
        (m) => !m.threadTs && m.text.includes(`asked by <@${u}>`) && /not built|nothing/i.test(m.text),
        60_000,
      );
      await slack.waitFor((m) => m.threadTs === anchor.ts && m.text.startsWith(`<@${u}>`), 30_000);
    }
    await expect.poll(() => logged(bot, 'job finished').length, { timeout: 10_000 }).toBe(1);
    // The acking thread makes no Slack call for a joiner: whatever joined anchors were posted, the thread did.
    for (const line of logged(bot, 'joined anchors posted')) expect(line).toMatchObject({ thread: 'worker' });
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 120_000);

  it('SIGTERM mid-job: the thread hands the job back at a safe point, then the web stops; the next bot resumes', async () => {
    // Half a mesh (one VPC of it), so that `status --wait` keeps polling until every check is ok.
    const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: AWS_CREDENTIALS });
    await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '10.0.0.0/16',
        TagSpecifications: tagSpec('vpc', { mesh: 'demo', cluster: 'iad', component: 'vpc' }),
      }),
    );
    // A short lock: the handed-back job is picked up within seconds of the next bot starting.
    const first = await startBot({ WORKER_LOCK_SECONDS: '4' });
    await ask(first, 'status --wait');
    const anchor = await slack.waitFor((m) => !m.threadTs && /status --wait/.test(m.text), 30_000);
    await expect
      .poll(() => slack.messages(CHANNEL).find((m) => m.ts === anchor.ts)?.text ?? '', { timeout: 60_000 })
      .toMatch(/waiting for every check to be ok/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(slack.messages(CHANNEL).find((m) => m.ts === anchor.ts)?.text).toMatch(/Paused: the worker is restarting/);
    // The worker thread stopped (its job handed back) before the web role's connections closed.
    const order = first.lines.map((l) => `${l.thread ?? 'main'}:${l.msg}`);
    const handedBack = order.indexOf('worker:job handed back to the queue at a safe point (shutdown)');
    expect(handedBack).toBeGreaterThan(-1);
    expect(order.indexOf('worker:stopped')).toBeGreaterThan(handedBack);
    expect(order.lastIndexOf('main:stopped')).toBeGreaterThan(order.indexOf('worker:stopped'));

    const second = await startBot({ WORKER_LOCK_SECONDS: '4' });
    await slack.waitFor((m) => m.threadTs === anchor.ts && /Resuming/.test(m.text), 60_000);
    await expect.poll(() => logged(second, 'job started').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(logged(second, 'job started')[0]).toMatchObject({ thread: 'worker', starts: 2 });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);
});

const AWS_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The nice value of the process's thread of this name (Linux: /proc/<pid>/task/<tid>/stat, field 19). */
async function niceOf(pid: number, name: string): Promise<number> {
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    if ((await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8')).trim() !== name) continue;
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  }
  throw new Error(`no thread named ${name} in process ${pid}`);
}
