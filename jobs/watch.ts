// One pass of the health watch: the same observation as `/mesh status` (handed in by jobs/index.ts), the gauges
// set from it, the RTT rule applied, and the incident state advanced; the channel hears of an incident only when it
// opens, grows or closes. The alert names the first broken link as `/mesh ping`'s diagnosis finds it.
import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Deps } from '../src/deps.ts';
import { errorMessage } from '../src/errors.ts';
import { clusterNamed, podDnsName } from '../src/mesh/kube/names.ts';
import { diagnose } from '../src/mesh/ping/diagnose.ts';
import { pingFrom } from '../src/mesh/ping/probe.ts';
import { callTotals, type MeshHealth, recordMeshHealth } from '../src/metrics/mesh-health.ts';
import { codeBlock, safeText, section } from '../src/slack/format.ts';
import { type ClusterLines, failingPing, statusChecks } from '../src/watch/checks.ts';
import { advance, type Check, type Incident, type WatchEvent } from '../src/watch/incidents.ts';
import { rttChecks } from '../src/watch/rtt.ts';
import type { WatchControl } from '../src/watch/schedule.ts';
import { clockTime, formatSpan } from '../src/watch/span.ts';
import type { PassRecord } from '../src/watch/store.ts';

export interface MeshObservation {
  clusters: ClusterLines[];
  verdict: { state: 'none' | 'healthy' | 'partial' | 'degraded'; headline: string };
  /** Absent when no mesh exists. */
  health?: MeshHealth;
}

export type ObserveMesh = (deps: Deps) => Promise<MeshObservation>;

export interface WatchPassDeps {
  watch: WatchControl;
  slack: WebClient;
  observe: ObserveMesh;
  log: Logger;
  /** After a pass that opened, grew or closed an incident (the App Home lists them). */
  onIncidentChange?: () => void;
}

/** A pass slower than this is taken for dead and the next one may run. */
const PASS_LOCK_MS = 10 * 60_000;
const MARK: Record<Check['health'], string> = {
  ok: ':large_green_circle:',
  warning: ':large_yellow_circle:',
  failing: ':red_circle:',
  absent: ':white_circle:',
};

const checkLine = (c: Check) => `${MARK[c.health]} ${c.cluster ? `${c.cluster} · ` : ''}${c.subject}: ${c.detail}`;

/** What repairs it: everything but a slow path is something `/mesh up` re-creates or repairs. */
function repairLine(checks: Check[]): string {
  const rttOnly = checks.every((c) => c.key.startsWith('rtt '));
  if (rttOnly) {
    return (
      'Repair: not something `/mesh up` fixes; the path is up but slow. `/mesh ping FROM TO-0` measures it again; ' +
      "check the AWS Health Dashboard for the two regions' network."
    );
  }
  return 'Repair: `/mesh up` re-creates or repairs what is missing and verifies the mesh again (it changes only what is broken).';
}

/** The first broken link, as `/mesh ping`'s diagnosis names it for the first failing ping of the incident. */
async function firstBrokenLink(deps: Deps, checks: Check[], log: Logger): Promise<{ line: string; text?: string }> {
  const first = checks[0]!;
  const fallback = { line: `First failing check: *${first.subject}* (${first.cluster ?? 'mesh'}): ${first.detail}` };
  // A failing ping of the pass, or else a ping from the first broken check's cluster: the pass may have pinged
  // before the breakage that its AWS reads already saw.
  const other = deps.spec.clusters.find((c) => c.name !== first.cluster)?.name;
  const ping = failingPing(checks) ?? (first.cluster && other ? { from: first.cluster, to: other } : undefined);
  if (!ping) return fallback;
  try {
    const probe = await pingFrom(deps, clusterNamed(deps, ping.from), ping.to, podDnsName(ping.to, 0));
    if (probe.result.ok) return fallback;
    const d = await diagnose(deps, probe);
    if (!d.broken) return { ...fallback, text: d.text };
    return {
      line: `First broken link (the diagnosis of \`/mesh ping ${ping.from} ${ping.to}-0\`): *${d.broken.link}*: ${d.broken.detail}`,
      text: d.text,
    };
  } catch (err) {
    log.warn({ err }, 'could not diagnose the failing ping');
    return fallback;
  }
}

async function post(
  p: WatchPassDeps,
  channel: string,
  text: string,
  threadTs?: string,
  broadcast = false,
): Promise<string | undefined> {
  try {
    const base = { channel, text: safeText(text), blocks: [section(text)] };
    const args: ChatPostMessageArguments = threadTs
      ? { ...base, thread_ts: threadTs, reply_broadcast: broadcast }
      : base;
    const t0 = Date.now();
    const res = await p.slack.chat.postMessage(args);
    p.log.info({ ms: Date.now() - t0 }, 'watch: posted');
    return res.ts as string | undefined;
  } catch (err) {
    p.log.warn({ err: errorMessage(err) }, 'could not post a watch message');
    return undefined;
  }
}

async function opened(deps: Deps, p: WatchPassDeps, i: Incident, checks: Check[], channel: string): Promise<void> {
  const mesh = deps.spec.name;
  const since = `first seen ${clockTime(i.openedAt)}${i.lastOkAt ? `; the pass at ${clockTime(i.lastOkAt)} was ok` : ''}`;
  const count = checks.length === 1 ? '1 check' : `${checks.length} checks`;
  const t0 = deps.clock.now();
  const link = await firstBrokenLink(deps, checks, p.log);
  p.log.info({ ms: deps.clock.now() - t0, incident: i.id }, 'watch: diagnosed the new incident');
  const text = [
    `:rotating_light: *Mesh ${mesh} degraded: ${count} broke* (${since}).`,
    ...checks.slice(0, 12).map(checkLine),
    ...(checks.length > 12 ? [`…and ${checks.length - 12} more (\`/mesh status\` lists every check).`] : []),
    link.line,
    repairLine(checks),
    '_One alert per incident: what else breaks, and the recovery, follow in this thread._',
  ].join('\n');
  i.channelId = channel;
  const ts = await post(p, channel, text);
  if (ts) i.alertTs = ts;
  if (ts && link.text) await post(p, channel, `*Diagnosis*\n${codeBlock(link.text)}`, ts);
}

async function tell(deps: Deps, p: WatchPassDeps, e: WatchEvent, channel: string): Promise<void> {
  if (e.type === 'opened') return opened(deps, p, e.incident, e.checks, channel);
  const where = e.incident.channelId ?? channel;
  if (e.type === 'joined') {
    const text = [`:warning: Also broke since the alert:`, ...e.checks.map(checkLine), repairLine(e.checks)].join('\n');
    await post(p, where, text, e.incident.alertTs);
    return;
  }
  const lasted = formatSpan(e.durationMs);
  const text =
    `:white_check_mark: *Recovered* at ${clockTime(e.at)}: every check of this incident is ok again. ` +
    `It lasted *${lasted}* (first seen ${clockTime(e.incident.openedAt)}).`;
  // In the thread and in the channel: whoever saw the alert sees that it is over.
  await post(p, where, text, e.incident.alertTs, true);
}

/** One pass. Returns what it recorded, or undefined when it did not run (off, or another pass holds the lock). */
export async function watchPass(deps: Deps, p: WatchPassDeps): Promise<PassRecord | undefined> {
  const { store } = p.watch;
  const settings = await store.settings(p.watch.defaultEveryMs);
  if (!settings?.enabled) return undefined;
  const release = await store.lock(PASS_LOCK_MS);
  if (!release) {
    p.log.info('another watch pass is still running: skipped');
    return undefined;
  }
  try {
    const started = deps.clock.now();
    const calls = await callTotals();
    const obs = await p.observe(deps);
    const observedMs = deps.clock.now() - started;
    const stored = await store.state();
    const checks = statusChecks(obs.clusters);
    let slow = stored.slow;
    if (obs.health) {
      recordMeshHealth(obs.health);
      const rtt = rttChecks(obs.health.paths, await store.baselines(), stored.slow);
      checks.push(...rtt.checks);
      slow = rtt.slow;
    }
    const now = deps.clock.now();
    // No mesh (never built, or deleted): nothing to watch, and nothing that was there is remembered as broken.
    const { state, events } =
      obs.verdict.state === 'none' ? { state: stored.incidents, events: [] } : advance(stored.incidents, checks, now);
    for (const e of events) {
      if (settings.channelId) await tell(deps, p, e, settings.channelId);
      if (e.type === 'recovered') await store.recordClosed(e.incident, e.at);
    }
    await store.saveState({ incidents: state, slow });
    if (events.length) p.onIncidentChange?.();
    const after = await callTotals();
    const bad = checks.filter((c) => c.health !== 'ok').length;
    const record: PassRecord = {
      at: now,
      ms: deps.clock.now() - started,
      bad,
      total: checks.length,
      synced: !!obs.health && obs.health.syncs.length > 0 && obs.health.syncs.every((s) => s.state === 2),
      headline: obs.verdict.headline,
      awsCalls: after.aws - calls.aws,
      kubeCalls: after.kube - calls.kube,
    };
    await store.recordPass(record);
    p.log.info(
      {
        ms: record.ms,
        observedMs,
        bad,
        total: checks.length,
        events: events.map((e) => e.type),
        aws: record.awsCalls,
        kube: record.kubeCalls,
      },
      'watch pass',
    );
    return record;
  } finally {
    await release();
  }
}
