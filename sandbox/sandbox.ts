// The whole sandbox as one object, for the console and the end-to-end tests: Redis, moto behind the AWS gateway
// with Kubernetes stand-ins, the Slack stand-in, and the bot itself, started as in production (`node src/main.ts`)
// with only endpoints and test credentials in its environment. Commands go in as signed Slack requests.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { parseSpec } from '../src/config/spec.ts';
import type { MeshSpec } from '../src/config/spec-types.ts';
import type { ZoneMapping } from './aws/ec2-zones.ts';
import { botEnvironment } from './bot-env.ts';
import { calicoCloudEnv } from './calico/cloud-service.ts';
import { type Cloud, startCloud } from './cloud.ts';
import type { TimeProfile } from './contracts.ts';
import { warmValidatorsOfRelease } from './kube/server/schema/warm-validators.ts';
import { keepKubeconfig } from './kubeconfig.ts';
import { freePort, type LocalRedis, redisAnswers, startRedis } from './redis.ts';
import type { SlackMessage } from './slack/state.ts';
import { type SlackStandIn, startSlackStandIn } from './slack/web-api.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ADMIN = 'U0ALICE01';
export const NON_ADMIN = 'U0BOB0001';
export const CHANNEL = 'C0MESHOPS';
const SIGNING_SECRET = 'sandbox-signing-secret';
const BOT_TOKEN = 'xoxb-sandbox-meshops';
const ENTERPRISE_VERSION = 'v3.23.1';
const OSS_VERSION = 'v3.31.7';

export interface SandboxOptions {
  profile?: 'fast' | 'real' | TimeProfile;
  timeScale?: number;
  /** A mesh spec file (YAML); default infra/mesh.yaml. Its manifest location is pointed at the sandbox. */
  specPath?: string;
  /** Where the sandbox writes its spec, kubeconfig and the bot's log; default .sandbox/ */
  dir?: string;
  /** Use this Redis instead of starting one (the console honours REDIS_URL). */
  redisUrl?: string;
  /** Slack rate limits on (default) or off. */
  slackRateLimits?: boolean;
  /** Extra environment for the bot (e.g. WORKER_LOCK_SECONDS for hand-over tests). */
  botEnv?: Record<string, string>;
  /** The account's AZ name -> zone ID mapping per region (`--zones`); moto's otherwise. */
  zones?: ZoneMapping;
  /** false: no AWS Load Balancer Controller in the clusters; LoadBalancer Services get Classic ELBs (`--no-lb-controller`). */
  loadBalancerController?: boolean;
  /**
   * Compile the spec's Calico CRD schemas while the bot starts (kube/server/schema/warm-validators.ts): the console
   * and the benchmarks do, so that an `up` is not held up by the stand-in's own compiling; tests do not (most never
   * apply Calico, and the suite would pay a second of CPU per sandbox).
   */
  warmCalicoSchemas?: boolean;
  log?: (line: string) => void;
}

/** How a command ended, as the user saw it. */
export interface CommandOutcome {
  ok: boolean;
  /** The job's anchor message (absent for commands answered at once, like help or bad input). */
  anchor?: SlackMessage;
  /** The thread under the anchor. */
  thread: SlackMessage[];
  /** What the bot answered only to the user (acks, refusals, usage errors). */
  ephemeral: string[];
}

export interface Sandbox {
  slack: SlackStandIn;
  cloud: Cloud;
  spec: MeshSpec;
  specPath: string;
  redisUrl: string;
  botUrl: string;
  kubeconfigPath: string;
  bot(): ChildProcess;
  /** Kills the bot process (SIGKILL: a crash; SIGTERM: a graceful stop) and waits until it is gone. */
  killBot(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the bot again on the same port, as a restarted container would. */
  startBot(): Promise<void>;
  /**
   * Starts another `node src/main.ts` with ROLE=worker on the same Redis, AWS and Slack (for a bot started with
   * botEnv ROLE=web: web and worker as separate processes); resolves once it logs that its worker role started.
   */
  startWorker(): Promise<ChildProcess>;
  /** Sends `/mesh <text>` as `user` and waits for the outcome: an immediate answer, or its job's final state. */
  run(text: string, opts?: { user?: string; timeoutMs?: number }): Promise<CommandOutcome>;
  /** Sends the command and returns once its job's anchor message exists (for tests that act while it runs). */
  send(text: string, opts?: { user?: string }): Promise<SlackMessage | undefined>;
  /** Waits for the job behind an anchor to reach its final state. */
  settle(anchor: SlackMessage, timeoutMs?: number): Promise<CommandOutcome>;
  /** Where the stand-in delivers commands and clicks to reach the bot (signed HTTP), for tests that send their own. */
  delivery: { http: { url: string; signingSecret: string } };
  /**
   * Presses the newest button with this label (`Apply`, `Retry`, `Cancel job 3`) as `user` and waits for what it
   * did: the job it started to end, a reply only to them, or its message edited.
   */
  click(label: string, opts?: { user?: string; timeoutMs?: number }): Promise<CommandOutcome>;
  /** Presses the latest `/mesh down` button as `user`. */
  clickConfirm(opts?: { user?: string; timeoutMs?: number; messageTs?: string }): Promise<CommandOutcome>;
  stop(): Promise<void>;
}

const FINAL = /^(:white_check_mark:|:large_yellow_circle:|:red_circle:|:x:|:no_entry_sign:)/;
/** A job that ran to its end: a green tick, or a check's verdict (status shows warning or failing by its icon). */
const SUCCEEDED = /^(:white_check_mark:|:large_yellow_circle:|:red_circle:)/;
const BOT_USER = 'U0MESHBOT';

/**
 * A reply only to the user that tells them the command did not go through, as they read it: a refusal, an error,
 * "could not ...", a job queued whose message never came, or a mistake followed by the usage line.
 */
function saysFailure(text: string): boolean {
  return /^(:no_entry:|:x:|:hourglass:)|could not|^Queued `/im.test(text) || /^Usage: `/m.test(text);
}

async function writeSandboxSpec(cloud: Cloud, source: string, dir: string): Promise<string> {
  const doc = parseYaml(await readFile(source, 'utf8')) as {
    calico?: { variant?: string; version?: string; manifestBaseUrl?: string };
    publicAccessCidrs?: string[];
  };
  doc.calico ??= {};
  // The sandbox serves its own copies of the operator manifests; Enterprise is what the mesh needs. Calico Cloud
  // joins a cluster that runs Calico Open Source, so it installs Open Source's.
  if (doc.calico.variant === 'oss' || doc.calico.variant === 'cloud') {
    doc.calico.manifestBaseUrl = cloud.manifestBaseUrl.oss;
    doc.calico.version = OSS_VERSION;
  } else {
    doc.calico.manifestBaseUrl = cloud.manifestBaseUrl.enterprise;
    doc.calico.version = ENTERPRISE_VERSION;
  }
  // The sandbox's worker and people reach the clusters from loopback: endpoints closed to it, as a careful spec
  // would (without publicAccessCidrs they stay open to 0.0.0.0/0 and status warns).
  doc.publicAccessCidrs ??= ['127.0.0.1/32'];
  const path = `${dir}/mesh.yaml`;
  await writeFile(path, `# Written by the sandbox from ${source}: manifests served by the sandbox.\n${stringify(doc)}`);
  return path;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const log = opts.log ?? (() => undefined);
  const dir = opts.dir ?? `${ROOT}.sandbox`;
  await mkdir(dir, { recursive: true });
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    let redis: LocalRedis | undefined;
    let redisUrl = opts.redisUrl ?? '';
    if (redisUrl && (await redisAnswers(redisUrl))) {
      log(`Redis: using ${redisUrl}`);
    } else {
      if (redisUrl) log(`Redis: nothing answers at ${redisUrl}; starting a private redis-server`);
      redis = await startRedis();
      cleanups.push(() => redis!.stop());
      redisUrl = redis.url;
      log(`Redis: redis-server on ${redisUrl}`);
    }

    // What the AWS side says about itself (a handler that threw, moto's start, cleanups) goes to a file: a 500 the
    // product saw can then be traced to its cause.
    const awsLog: WriteStream = createWriteStream(`${dir}/aws.log`, { flags: 'a' });
    const [slack, cloud] = await Promise.all([
      startSlackStandIn({ botToken: BOT_TOKEN, rateLimits: opts.slackRateLimits ?? true }),
      startCloud({
        log: (line) => {
          if (!awsLog.writableEnded) awsLog.write(`${new Date().toISOString()} ${line}\n`);
        },
        profile: opts.profile ?? 'fast',
        timeScale: opts.timeScale,
        warmUp: true,
        zones: opts.zones,
        loadBalancerController: opts.loadBalancerController,
      }),
    ]);
    cleanups.push(
      () => slack.close(),
      () => cloud.stop(),
      () => new Promise((r) => awsLog.end(r)),
    );
    log(`Slack stand-in: ${slack.apiUrl}`);
    log(`AWS (moto behind the gateway, ${cloud.profile.name} profile): ${cloud.awsEndpoint}`);

    const specPath = await writeSandboxSpec(cloud, opts.specPath ?? `${ROOT}infra/mesh.yaml`, dir);
    const spec = parseSpec(await readFile(specPath, 'utf8'), specPath);
    // While the bot starts (another process): see warm-validators.ts.
    const warming = opts.warmCalicoSchemas
      ? warmValidatorsOfRelease(spec.calico.manifestBaseUrl, spec.calico.version).catch((err: Error) => {
          log(`could not compile the Calico CRD schemas ahead: ${err.message}`);
          return 0;
        })
      : undefined;
    const port = await freePort();
    const botUrl = `http://127.0.0.1:${port}`;
    const logFile: WriteStream = createWriteStream(`${dir}/bot.log`, { flags: 'a' });
    cleanups.push(() => new Promise((r) => logFile.end(r)));
    const env = {
      ...process.env,
      ...cloud.awsEnv,
      ...botEnvironment({
        botToken: BOT_TOKEN,
        signingSecret: SIGNING_SECRET,
        slackApiUrl: slack.apiUrl,
        redisUrl,
        port,
        admins: ADMIN,
        channels: CHANNEL,
        specPath,
        logLevel: process.env.LOG_LEVEL ?? 'info',
        calicoCloud: spec.calico.variant === 'cloud' ? calicoCloudEnv(cloud.calicoCloud, spec) : undefined,
        extra: { POLL_INTERVAL_SECONDS: '0.5', KUBE_POLL_INTERVAL_SECONDS: '0.1', ...opts.botEnv },
      }),
    };
    let bot: ChildProcess | undefined;
    const startBot = async () => {
      bot = spawn(process.execPath, [`${ROOT}src/main.ts`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      // The port was picked before the bot binds it, and another sandbox's bot can take it meanwhile: the /readyz
      // that answers is ours only once our bot has said it listens (when its log level shows that line).
      const showsInfo = ['trace', 'debug', 'info'].includes(env.LOG_LEVEL ?? 'info');
      const listening = showsInfo ? untilSaid(bot, 'web role listening', 'the bot') : undefined;
      bot.stdout!.pipe(logFile, { end: false });
      bot.stderr!.pipe(logFile, { end: false });
      await listening;
      await waitHealthy(botUrl, bot, 60_000);
    };
    const killBot = async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!bot || bot.exitCode !== null || bot.signalCode !== null) return;
      const exited = new Promise((r) => bot!.once('exit', r));
      bot.kill(signal);
      const timer = setTimeout(() => bot?.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    };
    await startBot();
    cleanups.unshift(() => killBot('SIGTERM'));
    await warming;
    const startWorker = async (): Promise<ChildProcess> => {
      // Its own port: a worker serves its health and metrics on PORT too.
      const workerPort = String(await freePort());
      const worker = spawn(process.execPath, [`${ROOT}src/main.ts`], {
        cwd: ROOT,
        env: { ...env, ROLE: 'worker', PORT: workerPort },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise((r) => worker.once('exit', r));
      cleanups.unshift(async () => {
        if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
        await exited;
      });
      const started = untilSaid(worker, 'worker role started', 'the worker');
      worker.stdout!.pipe(logFile, { end: false });
      worker.stderr!.pipe(logFile, { end: false });
      await started;
      return worker;
    };
    log(`bot: ${botUrl}/slack/events (logs in ${dir}/bot.log)`);

    const kubeconfigPath = `${dir}/kubeconfig`;
    const stopKubeconfig = keepKubeconfig(kubeconfigPath, () => cloud.kube?.clusters() ?? [], spec.name, cloud.awsEnv);
    cleanups.unshift(async () => stopKubeconfig());

    const to = { http: { url: `${botUrl}/slack/events`, signingSecret: SIGNING_SECRET } };
    const messages = () => slack.messages(CHANNEL);
    const outcomeOf = (anchor: SlackMessage): CommandOutcome => {
      const current = messages().find((m) => m.ts === anchor.ts) ?? anchor;
      return {
        ok: SUCCEEDED.test(current.text),
        anchor: current,
        thread: slack.thread(CHANNEL, anchor.ts),
        ephemeral: [],
      };
    };
    const settle = async (anchor: SlackMessage, timeoutMs = 30 * 60_000): Promise<CommandOutcome> => {
      // A job has one anchor message (the web role and the worker claim who posts it: src/queue/anchor.ts).
      // The reporter posts every thread reply (and waits for Slack's answer) before its final edit of the anchor,
      // so once the anchor is final the thread is complete.
      const deadline = Date.now() + timeoutMs;
      for (let current = anchor; ; ) {
        // The one message the bot takes back: "joined the status already running", when that status ended just
        // then; the command then became a job of its own, whose anchor follows.
        const ts = current.ts;
        const final = slack.waitFor(
          (m) => m.channel === CHANNEL && m.ts === ts && FINAL.test(m.text),
          Math.max(0, deadline - Date.now()),
        );
        const withdrawn = new Promise<'withdrawn'>((resolve) => {
          const stop = slack.onChange((c) => {
            if (c.kind === 'delete' && c.message.ts === ts) resolve('withdrawn');
          });
          void final.then(stop, stop);
        });
        const ended = current.deleted ? 'withdrawn' : await Promise.race([final, withdrawn]);
        if (ended !== 'withdrawn') return outcomeOf(ended);
        void final.catch(() => undefined);
        current = await slack.waitFor(
          (m) => m.channel === CHANNEL && isJobAnchor(m) && Number(m.ts) > Number(ts),
          Math.max(0, deadline - Date.now()),
        );
      }
    };
    const isJobAnchor = (m: SlackMessage) => !m.threadTs && m.user === BOT_USER && /· job \d+/.test(m.text);
    const newAnchor = (before: Set<string>) => (m: SlackMessage) => !before.has(m.ts) && isJobAnchor(m);
    const ephemeralTo = (user: string) => {
      const before = new Set(slack.ephemeral(CHANNEL, user).map((m) => m.ts));
      return {
        isNew: (m: SlackMessage) => m.visibleTo === user && m.channel === CHANNEL && !before.has(m.ts),
        texts: () =>
          slack
            .ephemeral(CHANNEL, user)
            .filter((m) => !before.has(m.ts))
            .map((m) => m.text),
      };
    };
    /**
     * What the user saw first after a command or a click: its job's anchor in the channel, or a reply only to them
     * (help, a refusal, a usage error, a cancel's answer, "could not queue"). Waits for it, however long that takes
     * up to the timeout, rather than for a fixed time.
     */
    const firstAnswer = (before: Set<string>, eph: ReturnType<typeof ephemeralTo>, timeoutMs: number) =>
      slack.waitFor((m) => newAnchor(before)(m) || eph.isNew(m), timeoutMs).catch(() => undefined);

    const send = async (text: string, o: { user?: string } = {}) => {
      const user = o.user ?? ADMIN;
      const before = new Set(messages().map((m) => m.ts));
      const res = await slack.slashCommand({ text, userId: user, channelId: CHANNEL, to });
      if (!res.acked || res.status !== 200)
        throw new Error(`the bot did not ack /mesh ${text} within 3 s (HTTP ${res.status ?? 'none'})`);
      return slack.waitFor(newAnchor(before), 10_000).catch(() => undefined);
    };

    const run = async (text: string, o: { user?: string; timeoutMs?: number } = {}): Promise<CommandOutcome> => {
      const user = o.user ?? ADMIN;
      const eph = ephemeralTo(user);
      const before = new Set(messages().map((m) => m.ts));
      const res = await slack.slashCommand({ text, userId: user, channelId: CHANNEL, to });
      if (!res.acked || res.status !== 200)
        throw new Error(`the bot did not ack /mesh ${text} within 3 s (HTTP ${res.status ?? 'none'})`);
      const first = await firstAnswer(before, eph, 10_000);
      if (!first) return { ok: false, thread: [], ephemeral: eph.texts() };
      let anchor: SlackMessage | undefined = first.visibleTo ? undefined : first;
      // Queued while its message could not be posted: the worker posts one when it starts the job.
      if (!anchor && /^Queued `[^`]*` as job \d+/m.test(first.text)) {
        anchor = await slack.waitFor(newAnchor(before), 10_000).catch(() => undefined);
      }
      if (!anchor) {
        // Answered only to the user: help, a refusal, a usage error, a cancel's answer.
        const said = eph.texts();
        return { ok: !said.some(saysFailure), thread: [], ephemeral: said };
      }
      const outcome = await settle(anchor, o.timeoutMs);
      return { ...outcome, ephemeral: eph.texts() };
    };

    const clickConfirm = async (
      o: { user?: string; timeoutMs?: number; messageTs?: string } = {},
    ): Promise<CommandOutcome> => {
      const user = o.user ?? ADMIN;
      const msg = o.messageTs
        ? messages().find((m) => m.ts === o.messageTs)
        : [...messages()].reverse().find((m) => JSON.stringify(m.blocks ?? []).includes('mesh_down_confirm'));
      if (!msg) return { ok: false, thread: [], ephemeral: ['no /mesh down confirmation to click'] };
      const eph = ephemeralTo(user);
      const before = new Set(messages().map((m) => m.ts));
      await slack.clickButton({
        userId: user,
        channelId: CHANNEL,
        messageTs: msg.ts,
        actionId: 'mesh_down_confirm',
        to,
      });
      const first = await firstAnswer(before, eph, 10_000);
      if (!first || first.visibleTo) return { ok: false, thread: [], ephemeral: eph.texts() };
      return { ...(await settle(first, o.timeoutMs)), ephemeral: eph.texts() };
    };

    const click = async (label: string, o: { user?: string; timeoutMs?: number } = {}): Promise<CommandOutcome> => {
      const user = o.user ?? ADMIN;
      const eph = ephemeralTo(user);
      const before = new Set(messages().map((m) => m.ts));
      const edits = new Map(messages().map((m) => [m.ts, m.edits]));
      const res = await slack.clickLabel({ label, userId: user, channelId: CHANNEL, to });
      if (!res.acked) return { ok: false, thread: [], ephemeral: [`the bot did not ack the click on "${label}"`] };
      // What the click did, as the user sees it: a job's anchor, a reply only to them, or its message edited.
      const edited = (m: SlackMessage) => m.ts === res.messageTs && m.edits > (edits.get(m.ts) ?? 0);
      const first = await slack
        .waitFor((m) => newAnchor(before)(m) || eph.isNew(m) || edited(m), 10_000)
        .catch(() => undefined);
      if (!first) return { ok: false, thread: [], ephemeral: eph.texts() };
      if (first.visibleTo || first.ts === res.messageTs) {
        const said = eph.texts();
        return {
          ok: !said.some(saysFailure),
          anchor: first.visibleTo ? undefined : first,
          thread: [],
          ephemeral: said,
        };
      }
      return { ...(await settle(first, o.timeoutMs)), ephemeral: eph.texts() };
    };

    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      for (const c of cleanups) await c().catch(() => undefined);
    };
    return {
      slack,
      cloud,
      spec,
      specPath,
      redisUrl,
      botUrl,
      kubeconfigPath,
      bot: () => bot!,
      killBot,
      startBot,
      startWorker,
      run,
      send,
      settle,
      clickConfirm,
      click,
      delivery: to,
      stop,
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}

/**
 * Resolves once the child's output has carried this text (chunks joined, so a line split between two counts);
 * rejects when the child exits first, or after 60 s.
 */
function untilSaid(child: ChildProcess, text: string, who: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      if (seen.includes(text)) done();
    };
    const onExit = (code: number | null) =>
      done(new Error(`${who} exited with code ${code} at start; see the bot log`));
    const timer = setTimeout(
      () => done(new Error(`${who} did not say '${text}' within ${timeoutMs / 1000} s; see the bot log`)),
      timeoutMs,
    );
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

async function waitHealthy(url: string, bot: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (bot.exitCode !== null) throw new Error(`the bot exited with code ${bot.exitCode}; see its log`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the bot did not become ready in time; see its log');
}
