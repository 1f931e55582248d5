// Issue 12: what the health watch costs per pass, and how long from breakage to alert.
// `npm run bench -- watch [--passes 5] [--interval 15]`: two clusters (infra/mesh.yaml) and four
// (bench/fixtures/mesh-four.yaml), `fast` profile. After `/mesh up`, the watch runs every `--interval` seconds with
// nothing else going on; per pass: its duration, the AWS calls the gateway answered between two passes, and the
// calls the pass itself counted (meshops_aws_calls_total, meshops_kube_calls_total around the pass).
// Breakage to alert at an interval I is at most I plus one pass (plus the diagnosis, measured here as well).
import { DeleteRouteCommand, DescribeRouteTablesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Redis } from 'ioredis';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { PassRecord } from '../src/watch/store.ts';
import { arg, benchSandbox, loadCaveat, median, ROOT, sec, sleep, table, timeCommand } from './lib-bench.ts';

const PASSES = arg('passes', 5);
const INTERVAL = arg('interval', 15);

async function passes(redis: Redis, mesh: string): Promise<PassRecord[]> {
  return (await redis.lrange(`meshops:watch:${mesh}:passes`, 0, -1)).map((r) => JSON.parse(r) as PassRecord);
}

interface Row {
  ms: number[];
  gateway: number[];
  aws: number[];
  kube: number[];
  alertMs?: number;
}

async function measure(name: string, specPath: string | undefined, breakRoute: boolean): Promise<Row> {
  const sb: Sandbox = await benchSandbox(`watch-${name}`, {
    botEnv: { WATCH_INTERVAL_SECONDS: String(INTERVAL) },
    ...(specPath ? { specPath } : {}),
  });
  const redis = new Redis(sb.redisUrl);
  try {
    const up = await timeCommand(sb, 'up');
    if (!up.ok) throw new Error(`/mesh up (${name}) failed; see the bench sandbox's bot.log`);
    const row: Row = { ms: [], gateway: [], aws: [], kube: [] };
    // The first pass runs at once after up (and may overlap its last calls): start counting after it.
    let seen = (await passes(redis, sb.spec.name)).length;
    while ((await passes(redis, sb.spec.name)).length <= seen) await sleep(200);
    seen = (await passes(redis, sb.spec.name)).length;
    sb.cloud.calls.reset();
    while (row.ms.length < PASSES) {
      const all = await passes(redis, sb.spec.name);
      if (all.length > seen) {
        const p = all[0]!;
        row.ms.push(p.ms);
        row.aws.push(p.awsCalls ?? 0);
        row.kube.push(p.kubeCalls ?? 0);
        row.gateway.push(sb.cloud.calls.total());
        sb.cloud.calls.reset();
        seen = all.length;
      }
      await sleep(200);
    }
    if (breakRoute) {
      // Breakage to alert, from the moment the route goes to the alert message.
      const ec2 = new EC2Client({
        region: 'us-west-2',
        endpoint: sb.cloud.awsEndpoint,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      const filters = [
        { Name: 'tag:meshops:cluster', Values: ['pdx'] },
        { Name: 'tag:meshops:component', Values: ['rtb-private'] },
      ];
      const tables = (await ec2.send(new DescribeRouteTablesCommand({ Filters: filters }))).RouteTables ?? [];
      const t0 = Date.now();
      for (const t of tables)
        await ec2.send(new DeleteRouteCommand({ RouteTableId: t.RouteTableId, DestinationCidrBlock: '10.0.0.0/16' }));
      const alert = await sb.slack.waitFor((m) => !m.threadTs && m.text.includes(':rotating_light:'), 10 * 60_000);
      row.alertMs = Number(alert.ts) * 1000 - t0;
    }
    return row;
  } finally {
    await redis.quit();
    await sb.stop();
  }
}

console.log(loadCaveat());
const two = await measure('two', undefined, true);
const four = await measure('four', `${ROOT}bench/fixtures/mesh-four.yaml`, false);
const cells = (r: Row) => [
  sec(median(r.ms), 2),
  median(r.gateway),
  median(r.aws),
  median(r.kube),
  r.ms.map((m) => sec(m, 1)).join(' '),
];
console.log(
  table([
    ['clusters', 'pass (median)', 'AWS calls at the gateway', 'AWS calls (pass)', 'Kubernetes calls (pass)', 'passes'],
    ['2', ...cells(two)],
    ['4', ...cells(four)],
  ]),
);
if (two.alertMs !== undefined) {
  console.log(
    `two clusters, interval ${INTERVAL} s: route removed -> alert in ${sec(two.alertMs, 1)}; a pass takes ` +
      `${sec(median(two.ms), 1)}, so at the default 300 s it is at most 300 s plus about that (half the interval on average)`,
  );
}
