// The health watch on the sandbox, at a short interval (WATCH_INTERVAL_SECONDS, the operator's setting): after one
// `/mesh up`, a route is removed, then the VXLAN rule revoked and a federation secret deleted, each through the
// stand-ins as a person would. One alert names the first broken link within two passes; what breaks later joins its
// thread (no storm); `/mesh up` repairs it all and the recovery lands in the alert's thread with its duration.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, CHANNEL, type Sandbox } from '../../sandbox/sandbox.ts';
import type { SlackMessage } from '../../sandbox/slack/state.ts';
import type { PassRecord } from '../../src/watch/store.ts';
import { sandboxFor, seen } from './helpers.ts';

const run = promisify(execFile);
const INTERVAL_SECONDS = 2;
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let sb: Sandbox;
let redis: Redis;
const ec2 = (region: string) => new EC2Client({ region, endpoint: sb.cloud.awsEndpoint, credentials: creds });

/** The admin's App Home as Slack shows it, opened once after up: it must follow the incidents by itself. */
const homeText = () => JSON.stringify(sb.slack.home(ADMIN)?.blocks ?? []);
const isAlert = (m: SlackMessage) => m.channel === CHANNEL && !m.threadTs && m.text.includes(':rotating_light:');
const alerts = () => sb.slack.messages(CHANNEL).filter(isAlert);
const passes = async (): Promise<PassRecord[]> =>
  (await redis.lrange(`meshops:watch:${sb.spec.name}:passes`, 0, -1)).map((r) => JSON.parse(r) as PassRecord);
/** Passes that ended after `since` (ms): the one that posted the alert is recorded just after it. */
const passesAfter = async (since: number) => (await passes()).filter((p) => p.at > since);

beforeAll(async () => {
  sb = await sandboxFor('watch', { botEnv: { WATCH_INTERVAL_SECONDS: String(INTERVAL_SECONDS) } });
  redis = new Redis(sb.redisUrl);
}, 120_000);

afterAll(async () => {
  await redis?.quit();
  await sb?.stop();
});

describe('the health watch', () => {
  let alert: SlackMessage;

  it('starts after a successful /mesh up and shows itself in /mesh watch', async () => {
    const up = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(up.ok, seen(up.anchor)).toBe(true);
    expect(seen(up.anchor)).toMatch(/\*Watch\*: a status pass every 2 s; an incident posts one alert here/);
    // Its first passes run on their own: two of them, healthy.
    await expect
      .poll(async () => (await passes()).filter((p) => p.bad === 0).length, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2);
    const shown = await sb.run('watch');
    expect(shown.ok, seen(shown.anchor)).toBe(true);
    expect(seen(shown.anchor)).toMatch(/The watch is \*on\*: a status pass every \*2 s\*/);
    expect(seen(shown.anchor)).toMatch(/Last pass: .* 0 of \d+ checks not ok/);
    expect(seen(shown.anchor)).toContain('Open incidents: none.');
    expect(alerts()).toHaveLength(0);
    expect((await sb.slack.openHome({ userId: ADMIN, to: sb.delivery })).acked).toBe(true);
    await expect.poll(homeText, { timeout: 10_000 }).toContain('No incidents so far.');
    const healthy = (await passes()).filter((p) => p.bad === 0);
    console.log(
      `watch pass, 2 clusters, healthy: ${healthy.map((p) => `${p.ms} ms, ${p.awsCalls} AWS, ${p.kubeCalls} kube`).join('; ')}`,
    );
  }, 420_000);

  it('a removed route posts one alert naming the first broken link, within two passes', async () => {
    const tables =
      (
        await ec2('us-west-2').send(
          new DescribeRouteTablesCommand({
            Filters: [
              { Name: 'tag:meshops:cluster', Values: ['pdx'] },
              { Name: 'tag:meshops:component', Values: ['rtb-private'] },
            ],
          }),
        )
      ).RouteTables ?? [];
    const brokeAt = Date.now();
    for (const t of tables) {
      await ec2('us-west-2').send(
        new DeleteRouteCommand({ RouteTableId: t.RouteTableId, DestinationCidrBlock: '10.0.0.0/16' }),
      );
    }
    alert = await sb.slack.waitFor(isAlert, 240_000);
    const text = seen(alert);
    expect(text).toMatch(/Mesh demo degraded/);
    expect(text).toMatch(
      /First broken link \(the diagnosis of `\/mesh ping \w+ \w+-0`\): \*routes pdx -(>|&gt;) iad\*/,
    );
    expect(text).toMatch(/Repair: `\/mesh up`/);
    expect(text).toMatch(/first seen \d\d:\d\d:\d\d UTC; the pass at \d\d:\d\d:\d\d UTC was ok/);
    // The pass that posted it is at most the second that began after the breakage.
    await expect.poll(async () => (await passesAfter(brokeAt)).some((p) => p.bad > 0), { timeout: 30_000 }).toBe(true);
    const alertMs = Number(alert.ts) * 1000;
    const before = (await passesAfter(brokeAt)).filter((p) => p.at <= alertMs);
    expect(before.length).toBeLessThanOrEqual(2);
    // The App Home shows the open incident without anyone opening it again or any job ending.
    await expect.poll(homeText, { timeout: 30_000 }).toMatch(/:rotating_light: open since \d\d:\d\d/);
    const diagnosis = sb.slack.thread(CHANNEL, alert.ts).map((m) => seen(m));
    expect(diagnosis.join('\n')).toMatch(/FAIL routes pdx -(>|&gt;) iad: no route to 10\.0\.0\.0\/16/);
    // The route table's own line is in the alert, or (when the pass read AWS before the route went and pinged
    // after) in its thread by the next pass.
    const incident = () => [seen(alert), ...sb.slack.thread(CHANNEL, alert.ts).map((m) => seen(m))].join('\n');
    await expect
      .poll(incident, { timeout: 120_000 })
      .toContain(`pdx · route table ${tables[0]!.RouteTableId}: no route to 10.0.0.0/16 (iad)`);
  }, 300_000);

  it('a revoked VXLAN rule and a deleted federation secret join that incident in its thread: no second alert', async () => {
    const eks = new EKSClient({ region: 'us-east-1', endpoint: sb.cloud.awsEndpoint, credentials: creds });
    const sg = (await eks.send(new DescribeClusterCommand({ name: 'demo-iad' }))).cluster!.resourcesVpcConfig!
      .clusterSecurityGroupId!;
    await ec2('us-east-1').send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: 'udp', FromPort: 4789, ToPort: 4789, IpRanges: [{ CidrIp: '10.1.0.0/16' }] }],
      }),
    );
    const kubectl = ['--kubeconfig', sb.kubeconfigPath, '--context', 'pdx', '-n', 'calico-system'];
    await run('kubectl', [...kubectl, 'delete', 'secret', 'iad-secret'], { timeout: 30_000 });
    const thread = () =>
      sb.slack
        .thread(CHANNEL, alert.ts)
        .map((m) => seen(m))
        .join('\n');
    await expect.poll(thread, { timeout: 180_000 }).toContain(`iad · VXLAN rule on ${sg}: missing`);
    await expect
      .poll(thread, { timeout: 180_000 })
      .toMatch(/pdx · RemoteClusterConfiguration iad: Secret calico-system\/iad-secret is missing/);
    expect(thread()).toMatch(/Also broke since the alert/);
    expect(alerts()).toHaveLength(1);
  }, 400_000);

  it('/mesh up repairs it: the recovery is posted in the alert thread, with how long the incident lasted', async () => {
    const repair = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(repair.ok, seen(repair.anchor)).toBe(true);
    const recovery = await sb.slack.waitFor((m) => m.threadTs === alert.ts && m.text.includes('*Recovered*'), 180_000);
    expect(seen(recovery)).toMatch(/every check of this incident is ok again\. It lasted \*\d+ (s|min)/);
    expect(recovery.broadcast).toBe(true);
    expect(alerts()).toHaveLength(1);
    // The Home follows: the incident is closed there too, with how long it lasted.
    await expect.poll(homeText, { timeout: 30_000 }).toMatch(/:white_check_mark: [^"]*lasted \d+ (s|min)/);
    expect(homeText()).not.toContain(':rotating_light: open since');
    const shown = await sb.run('watch');
    expect(seen(shown.anchor)).toMatch(/Last incidents: .* for \d+ (s|min)/);
    const status = await sb.run('status');
    expect(seen(status.anchor)).toMatch(/Federation in sync for \d+ (s|min)[^,]*, by the watch's passes/);
  }, 420_000);

  it('an admin turns it off: its scheduler is gone, and passes stop', async () => {
    const off = await sb.run('watch off');
    expect(off.ok, seen(off.anchor)).toBe(true);
    expect(seen(off.anchor)).toMatch(/Turned the watch off/);
    const count = (await passes()).length;
    // Several intervals' worth of other work: a status pass pings every pair.
    const shown = await sb.run('watch');
    await sb.run('status');
    expect(seen(shown.anchor)).toMatch(/The watch is \*off\* \(turned off by <@U0ALICE01>\)/);
    expect(seen(shown.anchor)).not.toMatch(/next at/);
    // A pass that had already started may still end; none starts after it.
    expect((await passes()).length).toBeLessThanOrEqual(count + 1);
  }, 120_000);
});
