// Issue 5: how quick the day-to-day commands are once the mesh is up, and how long `down` takes against what AWS
// itself needs. Run on demand: `npm run bench -- operate [--runs 15] [--ping-runs 7] [--time-scale 0.02]`.
//   1. `/mesh status`, command to final message, repeated: median and p90, two clusters (infra/mesh.yaml) and four
//      (bench/fixtures/mesh-four.yaml), `fast` profile. Targets: median < 1 s; four <= 1.3x two.
//   2. `/mesh ping iad all` against `/mesh ping pdx iad-0` (two clusters): median of several. Target <= 1.5x.
//   3. `real` profile scaled: `/mesh down` wall time against its critical path. Target: close to 1x.

import { timeProfile } from '../sandbox/aws/profiles.ts';
import type { TimeProfile } from '../sandbox/contracts.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import {
  arg,
  benchSandbox,
  leafSpans,
  loadCaveat,
  median,
  quantile,
  ROOT,
  sec,
  table,
  timeCommand,
  timingRows,
} from './lib-bench.ts';

const RUNS = arg('runs', 15);
const PING_RUNS = arg('ping-runs', 7);
const TIME_SCALE = arg('time-scale', 0.02);

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`${what} did not succeed; see the bench sandbox's bot.log`);
}

/** AWS calls the gateway answered per command of the last `repeat` (bot's and stand-ins' own reads of moto aside). */
let lastCalls: number[] = [];
/** Calls per action of the last command of the last `repeat`. */
let lastCounts: Record<string, number> = {};

async function repeat(sb: Sandbox, text: string, n: number): Promise<number[]> {
  const out: number[] = [];
  lastCalls = [];
  for (let i = 0; i < n; i++) {
    sb.cloud.calls.reset();
    const t = await timeCommand(sb, text, 120_000);
    must(t.ok, `/mesh ${text}`);
    out.push(t.ms);
    lastCalls.push(sb.cloud.calls.total());
    lastCounts = sb.cloud.calls.counts();
  }
  return out;
}

async function withSandbox<T>(
  name: string,
  opts: Parameters<typeof benchSandbox>[1],
  body: (sb: Sandbox) => Promise<T>,
): Promise<T> {
  const sb = await benchSandbox(name, opts);
  try {
    return await body(sb);
  } finally {
    await sb.stop();
  }
}

/**
 * The down tree (jobs/down/index.ts, jobs/down/aws.ts), as durations of the cloud's profile:
 *   kube objects (API calls only, ~0)
 *   -> release, side by side: per cluster [node group delete -> cluster delete] | per region [NAT delete] | peerings (~0)
 *   -> networks, per region side by side: EIP release, IGW, subnets, route tables, security groups, VPC (API calls, ~0)
 *   -> IAM roles (~0)
 * so the critical path is max(nodegroupDelete + clusterDelete, natDelete).
 */
function downCriticalPath(p: TimeProfile): { ms: number; path: string } {
  const eks = p.nodegroupDeleteMs + p.clusterDeleteMs;
  const nat = p.natDeleteMs;
  return eks >= nat
    ? {
        ms: eks,
        path: `node group delete ${sec(p.nodegroupDeleteMs)} -> cluster delete ${sec(p.clusterDeleteMs)} (NAT delete ${sec(nat)} -> EIP release alongside) -> network teardown ~0`,
      }
    : { ms: nat, path: `NAT delete ${sec(nat)} -> EIP release -> network teardown ~0 (EKS ${sec(eks)} alongside)` };
}

console.log(`bench operate: status x${RUNS}, ping x${PING_RUNS}, down on real x${TIME_SCALE}`);
console.log(loadCaveat());

// ---- 1 and 2: two clusters, fast ----
const two = await withSandbox('operate-two', {}, async (sb) => {
  const up = await timeCommand(sb, `up --confirm ${sb.spec.name}`);
  must(up.ok, '/mesh up (two clusters)');
  console.log(`two clusters up in ${sec(up.ms, 1)}`);
  await repeat(sb, 'status', 1); // warm-up: first-use imports and connections
  const status = await repeat(sb, 'status', RUNS);
  const statusCalls = median(lastCalls);
  const statusCounts = lastCounts;
  await repeat(sb, 'ping pdx iad-0', 1);
  const all: number[] = [];
  const single: number[] = [];
  // Interleaved, so drift in machine load hits both alike.
  for (let i = 0; i < PING_RUNS; i++) {
    all.push(...(await repeat(sb, 'ping iad all', 1)));
    single.push(...(await repeat(sb, 'ping pdx iad-0', 1)));
  }
  return { status, statusCalls, statusCounts, all, single };
});

// ---- 1: four clusters, fast ----
const four = await withSandbox('operate-four', { specPath: `${ROOT}bench/fixtures/mesh-four.yaml` }, async (sb) => {
  const up = await timeCommand(sb, `up --confirm ${sb.spec.name}`);
  must(up.ok, '/mesh up (four clusters)');
  console.log(`four clusters up in ${sec(up.ms, 1)}`);
  await repeat(sb, 'status', 1);
  const status = await repeat(sb, 'status', RUNS);
  return { status, statusCalls: median(lastCalls), statusCounts: lastCounts };
});

// ---- 3: down on the real profile, scaled ----
const down = await withSandbox('operate-down', { profile: 'real', timeScale: TIME_SCALE }, async (sb) => {
  const up = await timeCommand(sb, `up --confirm ${sb.spec.name}`);
  must(up.ok, `/mesh up (real x${TIME_SCALE})`);
  console.log(`two clusters up (real x${TIME_SCALE}) in ${sec(up.ms, 1)}`);
  const d = await timeCommand(sb, `down --confirm ${sb.spec.name}`);
  must(d.ok, '/mesh down');
  const rows = timingRows(d.anchor);
  return { ms: d.ms, rows, spans: leafSpans(d.thread, rows, d.t0), profile: timeProfile('real', TIME_SCALE) };
});

// ---- report ----
const m2 = median(two.status);
const m4 = median(four.status);
console.log('\n/mesh status, command to final message (fast profile)');
console.log(
  table([
    ['clusters', 'runs', 'median', 'p90', 'min', 'max', 'AWS calls per status', 'target'],
    [
      '2',
      RUNS,
      sec(m2),
      sec(quantile(two.status, 0.9)),
      sec(Math.min(...two.status)),
      sec(Math.max(...two.status)),
      two.statusCalls,
      'median < 1 s',
    ],
    [
      '4',
      RUNS,
      sec(m4),
      sec(quantile(four.status, 0.9)),
      sec(Math.min(...four.status)),
      sec(Math.max(...four.status)),
      four.statusCalls,
      'median < 1 s',
    ],
  ]),
);
console.log(`four / two (medians): ${(m4 / m2).toFixed(2)}x (target <= 1.3x)`);
const actions = [...new Set([...Object.keys(two.statusCounts), ...Object.keys(four.statusCounts)])];
const perAction = actions
  .map((a) => [a, two.statusCounts[a] ?? 0, four.statusCounts[a] ?? 0] as const)
  .sort((x, y) => y[2] - x[2])
  .slice(0, 10);
console.log('AWS calls of one status, by action (the gateway counter):');
console.log(table([['action', '2 clusters', '4 clusters'], ...perAction.map(([a, x, y]) => [a, x, y])]));

const ma = median(two.all);
const ms = median(two.single);
console.log('\n/mesh ping, command to final message (fast profile, two clusters)');
console.log(
  table([
    ['command', 'runs', 'median', 'p90'],
    ['ping iad all', PING_RUNS, sec(ma), sec(quantile(two.all, 0.9))],
    ['ping pdx iad-0', PING_RUNS, sec(ms), sec(quantile(two.single, 0.9))],
  ]),
);
console.log(`all / single (medians): ${(ma / ms).toFixed(2)}x (target <= 1.5x)`);

const cp = downCriticalPath(down.profile);
const leafSum = down.rows.reduce((a, r) => a + r.seconds, 0) * 1000;
console.log(`\n/mesh down on ${down.profile.name} (two clusters)`);
console.log(`critical path model: ${cp.path}`);
console.log(
  table([
    ['measure', 'time', 'ratio to critical path'],
    ['down wall time (command to final message)', sec(down.ms), `${(down.ms / cp.ms).toFixed(2)}x`],
    ['critical path (profile durations)', sec(cp.ms), '1.00x'],
    ['same steps one after another (sum of step times)', sec(leafSum), `${(leafSum / cp.ms).toFixed(2)}x`],
  ]),
);
console.log(`down wall / one-after-another: ${(down.ms / leafSum).toFixed(2)}x`);
console.log('down leaf timeline (s from the command; end = its thread reply):');
for (const l of down.spans)
  console.log(
    `  ${(l.startMs / 1000).toFixed(1).padStart(6)} -> ${(l.endMs / 1000).toFixed(1).padStart(6)}  ${l.title.slice(0, 110)}`,
  );
console.log(
  JSON.stringify({
    bench: 'operate',
    status2: { median: m2, p90: quantile(two.status, 0.9), all: two.status },
    status4: { median: m4, p90: quantile(four.status, 0.9), all: four.status },
    pingAll: two.all,
    pingSingle: two.single,
    down: { ms: down.ms, criticalPathMs: cp.ms, leafSumMs: leafSum },
  }),
);
process.exit(0);
