// `npm run sandbox`: the whole sandbox on loopback (Redis, moto behind the AWS gateway with Kubernetes
// stand-ins, the Slack stand-in) and the bot itself, started as in production (`node src/main.ts`) with only
// endpoints and test credentials in its environment. Then a console: type `/mesh ...` and watch the channel.
//   npm run sandbox                                   interactive
//   npm run sandbox -- "/mesh help" "/mesh status"    run in order, print the transcript, exit 0 only if all succeeded
//   npm run sandbox -- --keep "/mesh up"              leave everything running afterwards
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';
import { parseMeshCommand } from '../commands/parse.ts';
import { parseSpec } from '../src/config/spec.ts';
import { startCloud, type Cloud } from './cloud.ts';
import { keepKubeconfig } from './kubeconfig.ts';
import { freePort, redisAnswers, startRedis, type LocalRedis } from './redis.ts';
import { watchChannel } from './slack/transcript.ts';
import { startSlackStandIn, type SlackStandIn } from './slack/web-api.ts';
import type { SlackMessage } from './slack/state.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const ADMIN = 'U0ALICE01';
const CHANNEL = 'C0MESHOPS';
const SIGNING_SECRET = 'sandbox-signing-secret';
const BOT_TOKEN = 'xoxb-sandbox-meshops';
const ENTERPRISE_VERSION = 'v3.22.2';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    keep: { type: 'boolean', default: false },
    profile: { type: 'string', default: 'fast' },
    'time-scale': { type: 'string' },
    spec: { type: 'string', default: 'infra/mesh.yaml' },
    user: { type: 'string', default: ADMIN },
    timeout: { type: 'string', default: '1800' },
  },
});

const say = (msg: string) => process.stderr.write(`[sandbox] ${msg}\n`);
const out = (text: string) => process.stdout.write(`${text}\n`);

interface Running {
  redis?: LocalRedis;
  redisUrl: string;
  slack: SlackStandIn;
  cloud: Cloud;
  bot: ChildProcess;
  botUrl: string;
  spec: ReturnType<typeof parseSpec>;
  stopWatching: () => void;
  stopKubeconfig: () => void;
}

async function writeSandboxSpec(cloud: Cloud, dir: string): Promise<string> {
  const source = await readFile(`${root}${flags.spec}`, 'utf8').catch(() => readFile(flags.spec!, 'utf8'));
  const doc = parseYaml(source) as { calico?: { variant?: string; version?: string; manifestBaseUrl?: string } };
  doc.calico ??= {};
  // The sandbox serves its own copies of the operator manifests; Enterprise is what the mesh needs.
  if (doc.calico.variant === 'oss') {
    doc.calico.manifestBaseUrl = cloud.manifestBaseUrl.oss;
    doc.calico.version = 'v3.31.7';
  } else {
    doc.calico.manifestBaseUrl = cloud.manifestBaseUrl.enterprise;
    doc.calico.version = ENTERPRISE_VERSION;
  }
  const path = `${dir}/mesh.yaml`;
  await writeFile(path, `# Written by the sandbox from ${flags.spec}: manifests served by the sandbox.\n${stringify(doc)}`);
  return path;
}

async function waitHealthy(url: string, bot: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (bot.exitCode !== null) throw new Error(`the bot exited with code ${bot.exitCode}; see .sandbox/bot.log`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the bot did not become ready; see .sandbox/bot.log');
}

async function start(): Promise<Running> {
  const dir = `${root}.sandbox`;
  await mkdir(dir, { recursive: true });
  const t0 = Date.now();

  let redis: LocalRedis | undefined;
  let redisUrl = process.env.REDIS_URL ?? '';
  if (redisUrl && (await redisAnswers(redisUrl))) {
    say(`Redis: using REDIS_URL ${redisUrl}`);
  } else {
    if (redisUrl) say(`Redis: nothing answers at REDIS_URL ${redisUrl}; starting a private redis-server`);
    redis = await startRedis();
    redisUrl = redis.url;
    say(`Redis: redis-server on ${redisUrl}`);
  }

  const [slack, cloud] = await Promise.all([
    startSlackStandIn({ botToken: BOT_TOKEN }),
    startCloud({ profile: flags.profile as 'fast' | 'real', timeScale: flags['time-scale'] ? Number(flags['time-scale']) : undefined, warmUp: true }),
  ]);
  say(`Slack stand-in: ${slack.apiUrl}`);
  say(`AWS (moto behind the gateway, ${cloud.profile.name} profile): ${cloud.awsEndpoint}`);

  const specPath = await writeSandboxSpec(cloud, dir);
  const spec = parseSpec(await readFile(specPath, 'utf8'), specPath);
  const port = await freePort();
  const botUrl = `http://127.0.0.1:${port}`;
  const log = createWriteStream(`${dir}/bot.log`, { flags: 'a' });
  const bot = spawn(process.execPath, [`${root}src/main.ts`], {
    cwd: root,
    env: {
      ...process.env,
      ...cloud.awsEnv,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL: redisUrl,
      PORT: String(port),
      MESH_ADMINS: ADMIN,
      MESH_CHANNELS: CHANNEL,
      MESH_SPEC: specPath,
      POLL_INTERVAL_SECONDS: '0.5',
      CALICO_LICENSE_FILE: `${root}sandbox/credentials/license.yaml`,
      CALICO_PULL_SECRET_FILE: `${root}sandbox/credentials/pull-secret.json`,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bot.stdout!.pipe(log);
  bot.stderr!.pipe(log);
  await waitHealthy(botUrl, bot, 60_000);
  say(`bot: ${botUrl}/slack/events (logs in .sandbox/bot.log)`);

  const kubeconfigPath = `${dir}/kubeconfig`;
  const stopKubeconfig = keepKubeconfig(kubeconfigPath, () => cloud.kube?.clusters() ?? [], spec.name, cloud.awsEnv);
  say(`kubectl: export KUBECONFIG=${kubeconfigPath}   (contexts appear as clusters come up: ${spec.clusters.map((c) => c.name).join(', ')})`);
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; you are <@${flags.user}> in #mesh-ops\n`);

  const stopWatching = watchChannel(slack, CHANNEL, out, { viewer: flags.user, editEveryMs: 5000 });
  return { redis, redisUrl, slack, cloud, bot, botUrl, spec, stopWatching, stopKubeconfig };
}

async function stop(r: Running): Promise<void> {
  r.stopWatching();
  r.stopKubeconfig();
  if (r.bot.exitCode === null) {
    const exited = new Promise((res) => r.bot.once('exit', res));
    r.bot.kill('SIGTERM');
    await Promise.race([exited, new Promise((res) => setTimeout(res, 15_000))]);
    if (r.bot.exitCode === null) r.bot.kill('SIGKILL');
  }
  await Promise.allSettled([r.cloud.stop(), r.slack.close(), r.redis?.stop()]);
}

const FINAL = /^(:white_check_mark:|:x:|:no_entry_sign:)/;

/** Sends one command as Slack would and waits for its outcome: an immediate answer, or its job's final state. */
async function runCommand(r: Running, line: string, timeoutMs: number): Promise<boolean> {
  const text = line.trim().replace(/^\/mesh\b\s*/, '');
  out(`\n> /mesh ${text}`);
  const parsed = parseMeshCommand(text, r.spec);
  const before = new Set(r.slack.messages(CHANNEL).map((m) => m.ts));
  const res = await r.slack.slashCommand({ text, userId: flags.user!, channelId: CHANNEL, to: { http: { url: `${r.botUrl}/slack/events`, signingSecret: SIGNING_SECRET } } });
  if (!res.acked || res.status !== 200) {
    out(`(the bot did not ack within 3 s: HTTP ${res.status ?? 'none'})`);
    return false;
  }
  if (!parsed.ok) return false; // the bot answered with what was wrong; the command did not succeed
  if (parsed.command.kind === 'help') return true;
  if (parsed.command.kind === 'cancel') {
    await new Promise((res2) => setTimeout(res2, 500));
    return !r.slack.ephemeral(CHANNEL, flags.user).some((m) => /could not cancel/i.test(m.text));
  }
  const isAnchor = (m: SlackMessage) => !before.has(m.ts) && !m.threadTs && m.user === 'U0MESHBOT' && /· job \d+/.test(m.text);
  let anchor: SlackMessage;
  try {
    anchor = await r.slack.waitFor(isAnchor, 10_000);
  } catch {
    const refused = r.slack.ephemeral(CHANNEL, flags.user).at(-1);
    if (refused) out(`(answered: ${refused.text})`);
    return false;
  }
  const current = () => r.slack.messages(CHANNEL).find((m) => m.ts === anchor.ts)!;
  if (!FINAL.test(current().text)) {
    await r.slack.waitFor((m) => m.ts === anchor.ts && FINAL.test(m.text), timeoutMs);
  }
  // Let the watcher print the last replies before the verdict.
  await new Promise((res2) => setTimeout(res2, 300));
  return current().text.startsWith(':white_check_mark:');
}

async function clickConfirm(r: Running): Promise<boolean> {
  const msg = [...r.slack.messages(CHANNEL)].reverse().find((m) => JSON.stringify(m.blocks ?? []).includes('mesh_down_confirm'));
  if (!msg) {
    out('(no /mesh down confirmation to click; run /mesh down first)');
    return false;
  }
  const before = new Set(r.slack.messages(CHANNEL).map((m) => m.ts));
  await r.slack.clickButton({ userId: flags.user!, channelId: CHANNEL, messageTs: msg.ts, actionId: 'mesh_down_confirm', to: { http: { url: `${r.botUrl}/slack/events`, signingSecret: SIGNING_SECRET } } });
  try {
    const anchor = await r.slack.waitFor((m) => !before.has(m.ts) && !m.threadTs && /· job \d+/.test(m.text), 10_000);
    const done = await r.slack.waitFor((m) => m.ts === anchor.ts && FINAL.test(m.text), Number(flags.timeout) * 1000).catch(() => anchor);
    return done.text.startsWith(':white_check_mark:');
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  let running: Running;
  try {
    running = await start();
  } catch (err) {
    say(`could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  const r = running;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping the sandbox');
    await stop(r);
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(130));
  process.once('SIGTERM', () => void shutdown(143));
  const timeoutMs = Number(flags.timeout) * 1000;

  if (positionals.length > 0) {
    const results: Array<[string, boolean]> = [];
    for (const line of positionals) {
      const ok = line.trim() === 'confirm' ? await clickConfirm(r) : await runCommand(r, line, timeoutMs).catch((err: unknown) => {
        out(`(${err instanceof Error ? err.message : String(err)})`);
        return false;
      });
      results.push([line, ok]);
    }
    out('\n--- summary');
    for (const [line, ok] of results) out(`${ok ? 'ok    ' : 'FAILED'}  ${line}`);
    const allOk = results.every(([, ok]) => ok);
    if (flags.keep) {
      say('--keep: everything stays up; Ctrl-C stops it');
      return;
    }
    await shutdown(allOk ? 0 : 1);
    return;
  }

  out('Type /mesh commands (e.g. /mesh help, /mesh up, /mesh status); `confirm` presses the latest /mesh down button; `exit` quits.');
  const rl = createInterface({ input: process.stdin, output: process.stderr, prompt: 'mesh-ops> ' });
  rl.prompt();
  for await (const line of rl) {
    const l = line.trim();
    if (l === 'exit' || l === 'quit') break;
    if (l === 'confirm') await clickConfirm(r);
    else if (l) await runCommand(r, l, timeoutMs).catch((err: unknown) => out(`(${err instanceof Error ? err.message : String(err)})`));
    rl.prompt();
  }
  await shutdown(0);
}

await main();
