// Shared helpers of the on-demand benchmarks (bench/run.ts skips lib-* files): timing a command as the user
// sees it, quantiles, tables, process memory from /proc, and the per-step times a job reports.
import { readdirSync, readFileSync } from 'node:fs';
import { ROOT, type Sandbox, type SandboxOptions, startSandbox } from '../sandbox/sandbox.ts';
import type { SlackMessage } from '../sandbox/slack/state.ts';

export { ROOT };

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

/** Nearest-rank quantile (p in 0..1). */
export function quantile(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))]!;
}

export const median = (values: number[]) => quantile(values, 0.5);

/** A small left-aligned text table; the first row is the header. */
export function table(rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const sec = (ms: number, digits = 2) => `${(ms / 1000).toFixed(digits)} s`;

/** A sandbox with its own directory under .sandbox/, Slack rate limits off (the benchmarks time the product). */
export function benchSandbox(name: string, opts: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({
    dir: `${ROOT}.sandbox/bench-${name}`,
    slackRateLimits: false,
    warmCalicoSchemas: true,
    ...opts,
  });
}

export interface Timed {
  /** When the command was sent (epoch ms). */
  t0: number;
  ms: number;
  ok: boolean;
  anchor?: SlackMessage;
  thread: SlackMessage[];
}

/**
 * Time from sending `/mesh <text>` to the anchor's final edit (the message the user reads as the answer), taken
 * from the Slack stand-in's own timestamps, so the harness's settle delay is not counted.
 */
export async function timeCommand(sb: Sandbox, text: string, timeoutMs = 30 * 60_000): Promise<Timed> {
  const t0 = Date.now();
  const anchor = await sb.send(text);
  if (!anchor) throw new Error(`/mesh ${text}: no job anchor appeared`);
  const out = await sb.settle(anchor, timeoutMs);
  const final = out.anchor!;
  return { t0, ms: (final.editedAtMs ?? final.postedAtMs) - t0, ok: out.ok, anchor: final, thread: out.thread };
}

/** The plain text of a message with its blocks (the summary's details live in the blocks). */
export function fullText(m: SlackMessage | undefined): string {
  if (!m) return '';
  const parts = [m.text];
  const walk = (x: unknown) => {
    if (typeof x === 'string') parts.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') Object.values(x).forEach(walk);
  };
  walk(m.blocks ?? []);
  return parts.join('\n');
}

export interface StepTime {
  seconds: number;
  state: string;
  title: string;
}

/** The summary's "Time per step" table (jobs/run-plan.ts timingTable): `   12.3 s  changed    <title>`. */
export function timingRows(anchor: SlackMessage | undefined): StepTime[] {
  // The table is one of the anchor's blocks (the text may repeat it): read the first piece that holds it, whole,
  // since two clusters' rows can be identical.
  const pieces = fullText(anchor)
    .split(/(?=\*Time per step\*)/)
    .filter((p) => p.startsWith('*Time per step*'));
  const rows: StepTime[] = [];
  for (const line of (pieces[0] ?? '').split('\n')) {
    const m = /^\s*(\d+(?:\.\d+)?) s {2}(changed|unchanged|failed|not-run)\s+(.+?)(?:```)?$/.exec(line);
    if (m) rows.push({ seconds: Number(m[1]), state: m[2]!, title: m[3]!.trim() });
  }
  return rows;
}

/** Step replies in the thread: `:white_check_mark: *<title>* (12s): ...` (whole seconds). */
export function threadStepSeconds(thread: SlackMessage[]): number[] {
  const out: number[] = [];
  for (const m of thread) {
    const x = /^:white_check_mark: \*.+?\* \((?:(\d+)m)?(\d+)s\)/.exec(m.text);
    if (x) out.push(Number(x[1] ?? 0) * 60 + Number(x[2]));
  }
  return out;
}

// ---- memory ----

interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  comm: string;
}

function procs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      out.push({ pid: Number(entry), ppid: Number(f[1]), pgrp: Number(f[2]), comm });
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** VmRSS of one process in MB (0 when it is gone). */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every process below `root` (children, grandchildren...). */
export function descendants(root: number): ProcInfo[] {
  const all = procs();
  const out: ProcInfo[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const c of all.filter((x) => x.ppid === p)) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

export interface SandboxMemory {
  benchMb: number;
  botMb: number;
  motoMb: number;
  redisMb: number;
  totalMb: number;
}

/**
 * RSS of every sandbox process: this one (gateway, Kubernetes stand-ins, Slack stand-in), the bot child, moto's
 * process group (python and any werkzeug children) and redis-server (a child of this process).
 */
export function sandboxMemory(sb: Sandbox): SandboxMemory {
  const below = descendants(process.pid);
  const benchMb = rssMb(process.pid);
  const botMb = rssMb(sb.bot().pid!);
  const motoMb = below.filter((p) => p.pgrp === sb.cloud.motoPid).reduce((a, p) => a + rssMb(p.pid), 0);
  const redisMb = below.filter((p) => p.comm.startsWith('redis-server')).reduce((a, p) => a + rssMb(p.pid), 0);
  return { benchMb, botMb, motoMb, redisMb, totalMb: benchMb + botMb + motoMb + redisMb };
}

export function loadCaveat(): string {
  const [l1, l5] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `machine load average ${l1} (1 min), ${l5} (5 min): other processes may be running; figures are indicative`;
}

export interface LeafSpan {
  title: string;
  startMs: number;
  endMs: number;
}

/**
 * When each leaf ran, relative to `t0`: its thread reply marks the end (the reporter posts it when the step
 * finishes; queued replies make it a little late), the summary table gives its duration.
 */
export function leafSpans(thread: SlackMessage[], rows: StepTime[], t0: number): LeafSpan[] {
  const out: LeafSpan[] = [];
  for (const m of thread) {
    const x = /^:white_check_mark: \*(.+?)\* \(/.exec(m.text);
    const row = x && rows.find((r) => r.title === x[1]);
    if (!row) continue;
    const endMs = m.postedAtMs - t0;
    out.push({ title: row.title, startMs: endMs - row.seconds * 1000, endMs });
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}
