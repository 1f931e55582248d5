// The reference guide's flow from Slack, end to end on the sandbox: up, pings, scales, status, then links broken
// one by one (the ping diagnosis must name each), up repairing them, and down leaving nothing behind.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  DeleteRouteCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeRouteTablesCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN, CHANNEL, NON_ADMIN, type Sandbox } from '../../sandbox/sandbox.ts';
import { confirmBlocks } from '../../src/slack/down-confirm.ts';
import { countMesh, expectedCounts, sandboxFor, seen, ZERO } from './helpers.ts';

const run = promisify(execFile);
let sb: Sandbox;
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
// Through the sandbox's AWS endpoint, as a user's AWS CLI would break and inspect things.
const ec2 = (region: string) => new EC2Client({ region, endpoint: sb.cloud.awsEndpoint, credentials: creds });

/** A message as a person reads it: its text and every section of its blocks. */

async function privateTables(cluster: string, region: string) {
  const res = await ec2(region).send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'tag:meshops:cluster', Values: [cluster] },
        { Name: 'tag:meshops:component', Values: ['rtb-private'] },
      ],
    }),
  );
  return res.RouteTables ?? [];
}

/** What `kubectl logs` prints for the Typha pods of a cluster. */
async function typhaLogs(context: string): Promise<string> {
  const base = ['--kubeconfig', sb.kubeconfigPath, '--context', context, '-n', 'calico-system'];
  const k = (args: string[]) => run('kubectl', [...base, ...args], { timeout: 30_000 });
  const typha = await k(['get', 'pods', '-l', 'k8s-app=calico-typha', '-o', 'name']);
  const pods = typha.stdout.split('\n').filter(Boolean);
  const logs = await Promise.all(pods.map(async (p) => (await k(['logs', p])).stdout));
  return logs.join('\n');
}

async function clusterSg(name: string, region: string): Promise<string> {
  // Through the gateway: EKS's cluster security group is what the gateway adds to moto's answer.
  const eks = new EKSClient({ region, endpoint: sb.cloud.awsEndpoint, credentials: creds });
  const c = await eks.send(new DescribeClusterCommand({ name: `${sb.spec.name}-${name}` }));
  return c.cluster!.resourcesVpcConfig!.clusterSecurityGroupId!;
}

beforeAll(async () => {
  sb = await sandboxFor('flow');
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('the reference flow from Slack', () => {
  it('/mesh up builds the mesh from an empty account and verifies it with cross-cluster pings', async () => {
    const up = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(up.ok, seen(up.anchor)).toBe(true);
    const thread = up.thread.map((m) => seen(m)).join('\n');
    expect(thread).toMatch(/The plan for mesh \*demo\*/);
    expect(thread).toMatch(/will create/);
    expect(thread).toMatch(/Estimated cost/);
    expect(thread).toContain('Sending in-sync update for RemoteClusterConfiguration(iad)');
    expect(thread).toContain('Sending in-sync update for RemoteClusterConfiguration(pdx)');
    expect(seen(up.anchor)).toContain('aws eks update-kubeconfig --region us-east-1 --name demo-iad');
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
  }, 300_000);

  it('/mesh up again changes nothing and says so', async () => {
    const again = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(again.ok, seen(again.anchor)).toBe(true);
    expect(seen(again.anchor)).toMatch(/already up: nothing changed/);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
  }, 300_000);

  it.each([
    ['ping pdx iad', 'multi-cluster-rs-iad'],
    ['ping pdx iad-0', 'multi-cluster-rs-iad-0.multi-cluster-rs-iad'],
  ])(
    '/mesh %s answers across regions with a realistic round-trip time',
    async (cmd, name) => {
      const ping = await sb.run(cmd);
      expect(ping.ok, seen(ping.anchor)).toBe(true);
      expect(seen(ping.anchor)).toContain(name);
      const rtt = Number(/(\d+\.\d) ms/.exec(seen(ping.anchor))?.[1]);
      expect(rtt).toBeGreaterThan(50);
      expect(rtt).toBeLessThan(90);
    },
    120_000,
  );

  it('/mesh scale iad 2 and pdx 2 add pods the other cluster can reach by name', async () => {
    const a = await sb.run('scale iad 2');
    expect(a.ok, seen(a.anchor)).toBe(true);
    expect(seen(a.anchor)).toContain('multi-cluster-rs-iad-1.multi-cluster-rs-iad');
    const b = await sb.run('scale pdx 2');
    expect(b.ok, seen(b.anchor)).toBe(true);
    for (const cmd of ['ping pdx iad-1', 'ping iad pdx-1']) {
      const p = await sb.run(cmd);
      expect(p.ok, `${cmd}: ${seen(p.anchor)}`).toBe(true);
    }
    const all = await sb.run('ping iad all');
    expect(all.ok, seen(all.anchor)).toBe(true);
    expect(seen(all.anchor)).toMatch(/All 4 pings answered/);
  }, 300_000);

  it('/mesh status reads every part as ok, with the hourly cost', async () => {
    const status = await sb.run('status');
    expect(status.ok).toBe(true);
    const text = seen(status.anchor);
    expect(text).toMatch(/Mesh \*demo\* is healthy/);
    expect(text).toMatch(/Running now: about \*\$\d+\.\d\d\/hour\*/);
    expect(text).toContain('StatefulSet multi-cluster-rs-iad: 2/2 Ready');
    expect(text).not.toContain(':red_circle:');
  }, 120_000);

  it('kubectl reaches the sandbox clusters through the written kubeconfig', async () => {
    const { stdout } = await run(
      'kubectl',
      ['--kubeconfig', sb.kubeconfigPath, '--context', 'pdx', 'get', 'pods', '-n', 'default', '-o', 'name'],
      { timeout: 30_000 },
    );
    expect(stdout).toContain('pod/multi-cluster-rs-pdx-0');
    expect(stdout).toContain('pod/netshoot');
  }, 60_000);
});

describe('a broken link is named by the ping diagnosis', () => {
  it('a missing route to the peer VPC names the route table', async () => {
    const tables = await privateTables('pdx', 'us-west-2');
    const removed: Array<{ table: string; pcx: string }> = [];
    for (const t of tables) {
      const route = t.Routes?.find((r) => r.DestinationCidrBlock === '10.0.0.0/16');
      if (!route) continue;
      await ec2('us-west-2').send(
        new DeleteRouteCommand({ RouteTableId: t.RouteTableId, DestinationCidrBlock: '10.0.0.0/16' }),
      );
      removed.push({ table: t.RouteTableId!, pcx: route.VpcPeeringConnectionId! });
    }
    expect(removed.length).toBe(2);
    const ping = await sb.run('ping pdx iad-0');
    expect(ping.ok).toBe(false);
    expect(seen(ping.anchor)).toMatch(/route/i);
    expect(seen(ping.anchor)).toContain(removed[0]!.table);
    for (const r of removed) {
      await ec2('us-west-2').send(
        new CreateRouteCommand({
          RouteTableId: r.table,
          DestinationCidrBlock: '10.0.0.0/16',
          VpcPeeringConnectionId: r.pcx,
        }),
      );
    }
    expect((await sb.run('ping pdx iad-0')).ok).toBe(true);
  }, 120_000);

  it('a missing VXLAN rule names the security group', async () => {
    const sg = await clusterSg('iad', 'us-east-1');
    const rule = {
      GroupId: sg,
      IpPermissions: [{ IpProtocol: 'udp', FromPort: 4789, ToPort: 4789, IpRanges: [{ CidrIp: '10.1.0.0/16' }] }],
    };
    await ec2('us-east-1').send(new RevokeSecurityGroupIngressCommand(rule));
    const ping = await sb.run('ping pdx iad-0');
    expect(ping.ok).toBe(false);
    expect(seen(ping.anchor)).toMatch(/VXLAN|4789/);
    expect(seen(ping.anchor)).toContain(sg);
    await ec2('us-east-1').send(new AuthorizeSecurityGroupIngressCommand(rule));
    expect((await sb.run('ping pdx iad-0')).ok).toBe(true);
  }, 120_000);

  it('a deleted federation secret is named (the remote names stop resolving), then a deleted peering, and /mesh up repairs both', async () => {
    const notFound = 'secrets "iad-secret" not found';
    const said = async () => (await typhaLogs('pdx')).split(notFound).length - 1;
    const before = await said();
    await run(
      'kubectl',
      ['--kubeconfig', sb.kubeconfigPath, '--context', 'pdx', '-n', 'calico-system', 'delete', 'secret', 'iad-secret'],
      { timeout: 30_000 },
    );
    // Typha notices on its next sync: wait until its log says so (again), as `kubectl logs` shows it.
    await vi.waitFor(async () => expect(await said()).toBeGreaterThan(before), { timeout: 60_000, interval: 250 });
    const noSecret = await sb.run('ping pdx iad-0');
    expect(noSecret.ok).toBe(false);
    expect(seen(noSecret.anchor)).toMatch(/iad-secret/);

    const res = await ec2('us-east-1').send(
      new DescribeVpcPeeringConnectionsCommand({ Filters: [{ Name: 'tag:meshops:mesh', Values: ['demo'] }] }),
    );
    const pcx = (res.VpcPeeringConnections ?? []).find((p) => p.Status?.Code === 'active')!.VpcPeeringConnectionId!;
    await ec2('us-east-1').send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
    const noPeering = await sb.run('ping iad pdx-0');
    expect(noPeering.ok).toBe(false);
    expect(seen(noPeering.anchor)).toMatch(/peering/i);
    expect(seen(noPeering.anchor)).toContain(pcx);

    const repair = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(repair.ok, seen(repair.anchor)).toBe(true);
    expect((await sb.run('ping pdx iad-0')).ok).toBe(true);
    expect((await sb.run('ping iad pdx-0')).ok).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
  }, 300_000);
});

describe('/mesh down', () => {
  let confirmTs = '';
  it('asks first; a non-admin click and an expired button do nothing', async () => {
    const preview = await sb.run('down');
    expect(preview.ok).toBe(true);
    const confirm = [...sb.slack.messages(CHANNEL)]
      .reverse()
      .find((m) => JSON.stringify(m.blocks ?? []).includes('mesh_down_confirm'))!;
    confirmTs = confirm.ts;
    expect(seen(confirm)).toMatch(/NAT gateway/);
    expect(seen(confirm)).toMatch(/\$\d+\.\d\d\/hour/);

    const byOperator = await sb.clickConfirm({ user: NON_ADMIN, messageTs: confirm.ts });
    expect(byOperator.anchor).toBeUndefined();
    expect(byOperator.ephemeral.join('\n')).toMatch(/Only mesh admins/);

    // A confirmation message from six minutes ago.
    const bot = new WebClient('xoxb-sandbox-meshops', { slackApiUrl: sb.slack.apiUrl });
    const old = await bot.chat.postMessage({
      channel: CHANNEL,
      text: 'old confirmation',
      blocks: confirmBlocks('demo', 'everything', '$1.63', Date.now() - 6 * 60_000),
    });
    const expired = await sb.clickConfirm({ user: ADMIN, messageTs: old.ts as string });
    expect(expired.anchor).toBeUndefined();
    expect(expired.ephemeral.join('\n')).toMatch(/expired/);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
  }, 120_000);

  it('an admin confirms: everything the mesh owns is deleted, in every region, and a second down is a no-op', async () => {
    const down = await sb.clickConfirm({ user: ADMIN, timeoutMs: 300_000, messageTs: confirmTs });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(seen(down.anchor)).toMatch(/is gone/);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
    expect(sb.cloud.kube?.clusters().length).toBe(0);
    const again = await sb.run('down --confirm demo');
    expect(again.ok).toBe(true);
    expect(seen(again.anchor)).toMatch(/Nothing to delete/);
  }, 300_000);
});
