// Slash-command ack latency under load: signed `/mesh status` requests at 50, 200 and 500 per second against the
// bot as `npm start` runs it (web and worker in one process, moto as AWS, so the status jobs really run on the
// event loop that acks), side by side in the same run with a bare Bolt app that only acks. Then the bot's memory:
// idle, right after the burst, and 60 s later. The Slack stand-in answers with Slack's rate limits, as Slack does
// (BENCH_SLACK_LIMITS=off: none, the harsher load of earlier runs). Prints the figures; run on demand:
//   npm run bench -- ack
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { startMoto } from '../sandbox/aws/moto.ts';
import { botEnvironment } from '../sandbox/bot-env.ts';
import { freePort, startRedis } from '../sandbox/redis.ts';
import { signSlackRequest, slashCommandFields } from '../sandbox/slack/sender.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'bench-signing-secret';
const RATES = (process.env.BENCH_RATES ?? '50,200,500').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

function env(
  redisUrl: string,
  apiUrl: string,
  port: number,
  role: string,
  awsEndpoint = 'http://127.0.0.1:9',
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...botEnvironment({
      botToken: 'xoxb-bench',
      signingSecret: SECRET,
      slackApiUrl: apiUrl,
      redisUrl,
      port,
      admins: 'U0ALICE01',
      channels: 'C0MESHOPS',
      role: role as 'web' | 'all',
      logLevel: (process.env.BENCH_LOG_LEVEL ?? 'warn') as 'warn',
    }),
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  };
}

async function startProcess(script: string, e: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), script], {
    env: e,
    // BENCH_LOG_LEVEL=info shows the bots' logs (on stderr, so that the figures stay apart).
    stdio: ['ignore', process.env.BENCH_LOG_LEVEL ? 2 : 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${script} did not start`);
}

function send(port: number): Promise<number> {
  const body = new URLSearchParams(
    slashCommandFields({ text: 'status', userId: 'U0ALICE01', channelId: 'C0MESHOPS' }),
  ).toString();
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': Buffer.byteLength(body),
    ...signSlackRequest(SECRET, body),
  };
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/slack/events', method: 'POST', headers, agent: keepAlive },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Number(process.hrtime.bigint() - t0) / 1e6)
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

import { Agent } from 'node:http';

const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });
/** Why asks failed, over the whole run (printed at the end). */
const reasons = new Map<string, number>();

async function load(port: number, rate: number): Promise<{ p50: number; p99: number; errors: number; n: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const total = rate * SECONDS;
  const interval = 1000 / rate;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      send(port).then(
        (ms) => void latencies.push(ms),
        (err: Error) => {
          errors++;
          reasons.set(err.message, (reasons.get(err.message) ?? 0) + 1);
        },
      ),
    );
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { p50: q(0.5), p99: q(0.99), errors, n: latencies.length };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU time (user + system, ms) of a process's main thread: the event loop that acks. */
async function mainThreadCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** The main thread's V8 heap (used of total) and external memory, MB, from the bot's /metrics: the rest of the RSS is
 * the worker thread's heap, native buffers and memory the allocator has not given back. */
async function mainHeap(port: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const mb = (name: string) =>
    Number(new RegExp(`^meshops_process_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return `main heap ${mb('nodejs_heap_size_used_bytes').toFixed(0)}/${mb('nodejs_heap_size_total_bytes').toFixed(0)} MB, external ${mb('nodejs_external_memory_bytes').toFixed(0)} MB`;
}

const redis = await startRedis();
const moto = await startMoto();
// Slack's own limits by default: a stand-in that takes 1,000 posts a second into one channel makes the bot's
// worker do work that Slack would refuse (BENCH_SLACK_LIMITS=off: the stress of earlier runs, no limits).
const slackLimits = process.env.BENCH_SLACK_LIMITS !== 'off';
const slackThread = new Worker(new URL('./ack-slack-stand-in.ts', import.meta.url), {
  workerData: { rateLimits: slackLimits },
});
const slack = {
  apiUrl: await new Promise<string>((resolve, reject) => {
    slackThread.once('message', (m: { apiUrl: string }) => resolve(m.apiUrl));
    slackThread.once('error', reject);
  }),
  close: () => {
    const exited = new Promise((r) => slackThread.once('exit', r));
    slackThread.postMessage('close');
    return exited;
  },
};
const [meshPort, barePort] = [await freePort(), await freePort()];
// BENCH_THREAD=off: the bot with its web and worker role on one event loop (bench/ack-one-loop.ts), to compare.
const threadOff = process.env.BENCH_THREAD === 'off';
const mesh = await startProcess(
  threadOff ? `${root}bench/ack-one-loop.ts` : `${root}src/main.ts`,
  env(redis.url, slack.apiUrl, meshPort, 'all', moto.endpoint),
  meshPort,
);
const bare = await startProcess(`${root}bench/bare-bolt.ts`, env(redis.url, slack.apiUrl, barePort, 'web'), barePort);
try {
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  await new Promise((r) => setTimeout(r, 5000));
  const idle = { mesh: await rssMb(mesh.pid!), bare: await rssMb(bare.pid!), heap: await mainHeap(meshPort) };
  // Warm both up so that lazy imports and JIT do not land in the first rate's figures.
  await load(meshPort, 20);
  await load(barePort, 20);
  console.log(
    `ack latency, ${SECONDS} s per rate (ms); meshops = web + worker in one process (${threadOff ? 'one event loop, BENCH_THREAD=off' : 'worker on a worker thread'}), moto as AWS; Slack stand-in ${slackLimits ? "with Slack's rate limits" : 'without rate limits (BENCH_SLACK_LIMITS=off)'}`,
  );
  console.log('rate/s   meshops p50   p99     bare Bolt p50   p99     p99 ratio');
  // CPU of each main thread per ask while its load ran (the bot's keeps working on a burst after it: see RSS).
  const cpu: Array<{ rate: number; mesh: number; bare: number }> = [];
  let bareCpu = await mainThreadCpuMs(bare.pid!);
  for (const rate of RATES) {
    const c0 = await mainThreadCpuMs(mesh.pid!);
    const m = await load(meshPort, rate);
    const c1 = await mainThreadCpuMs(mesh.pid!);
    const b = await load(barePort, rate);
    const c2 = await mainThreadCpuMs(bare.pid!);
    cpu.push({ rate, mesh: (c1 - c0) / m.n, bare: (c2 - bareCpu) / b.n });
    bareCpu = c2;
    console.log(
      `${String(rate).padEnd(8)} ${m.p50.toFixed(1).padStart(8)} ${m.p99.toFixed(1).padStart(8)}   ${b.p50.toFixed(1).padStart(10)} ${b.p99.toFixed(1).padStart(8)}   ${(m.p99 / b.p99).toFixed(2).padStart(6)}` +
        (m.errors + b.errors ? `   errors: meshops ${m.errors}, bare ${b.errors}` : ''),
    );
  }
  console.log(
    `main-thread CPU per ask (ms, 10 ms ticks): ${cpu.map((c) => `${c.rate}/s meshops ${c.mesh.toFixed(2)} bare ${c.bare.toFixed(2)}`).join('; ')}`,
  );
  const after = { mesh: await rssMb(mesh.pid!), bare: await rssMb(bare.pid!), heap: await mainHeap(meshPort) };
  // Each job of its own gets one anchor recorded (src/queue/anchor.ts); an ask that joined one gets none.
  const counter = new Redis(redis.url);
  let jobs = 0;
  for (let cursor = '0'; ; ) {
    const [next, keys] = await counter.scan(cursor, 'MATCH', 'meshops:anchor:*', 'COUNT', 1000);
    jobs += keys.length;
    cursor = next;
    if (cursor === '0') break;
  }
  counter.disconnect();
  const asked = RATES.reduce((n, r) => n + r * SECONDS, 0) + 20 * SECONDS;
  console.log(
    `status jobs queued for ${asked} asks: ${jobs}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  // The RSS every 10 s meanwhile: when the bot's work on the burst ends, and when its memory comes back.
  const series: number[] = [];
  const sampler = setInterval(() => void rssMb(mesh.pid!).then((mb) => series.push(mb)), 10_000);
  await new Promise((r) => setTimeout(r, Number(process.env.BENCH_SETTLE_SECONDS ?? 60) * 1000));
  clearInterval(sampler);
  console.log(`meshops RSS every 10 s after the burst (MB): ${series.map((mb) => mb.toFixed(0)).join(' ')}`);
  const settled = { mesh: await rssMb(mesh.pid!), bare: await rssMb(bare.pid!), heap: await mainHeap(meshPort) };
  const settle = Number(process.env.BENCH_SETTLE_SECONDS ?? 60);
  const rss = (side: 'mesh' | 'bare') =>
    `idle ${idle[side].toFixed(0)} MB, after the burst ${after[side].toFixed(0)} MB, ${settle} s later ${settled[side].toFixed(0)} MB (${(settled[side] / idle[side]).toFixed(2)} x idle)`;
  console.log(`meshops RSS: ${rss('mesh')}; target <= 1.5 x`);
  console.log(`bare Bolt RSS: ${rss('bare')}`);
  if (reasons.size) console.log(`failed asks: ${[...reasons].map(([m, n]) => `${n} x ${m}`).join('; ')}`);
  console.log(`meshops ${idle.heap} idle; ${after.heap} after; ${settled.heap} ${settle} s later`);
} finally {
  await Promise.all([stopProcess(mesh), stopProcess(bare)]);
  await slack.close();
  await moto.stop();
  await redis.stop();
  keepAlive.destroy();
}
