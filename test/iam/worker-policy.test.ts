// Least privilege, proven on a real flow: `/mesh up` and `/mesh down` run on the sandbox with the gateway logging
// every AWS call; each call is mapped to what IAM authorizes (call-authorizations.ts) and evaluated against the
// worker policy rendered for the mesh, with @cloud-copilot/iam-simulate (a maintained IAM evaluator that knows the
// condition operators and validates actions, ARNs and condition keys against the Service Authorization Reference).
// Every call must be allowed; the same call on another mesh's resources must be denied.
import {
  DescribeRouteTablesCommand,
  DescribeTagsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { IAMClient, ListRolesCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_POLICY_MAX_CHARS, renderWorkerPolicies, renderWorkerPolicy } from '../../infra/iam/render-policy.ts';
import type { LoggedCall } from '../../sandbox/aws/call-counter.ts';
import { SANDBOX_ACCOUNT_ID } from '../../sandbox/aws/identity.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { sandboxFor, seen } from '../e2e/helpers.ts';
import { type Authorization, authorizationsFor, forOtherMesh, type World } from './call-authorizations.ts';

const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const WORKER = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/meshops-worker`;

let sb: Sandbox;
let calls: LoggedCall[] = [];
let world: World;

async function readWorld(): Promise<World> {
  const w: World = {
    account: SANDBOX_ACCOUNT_ID,
    ec2Tags: new Map(),
    associations: new Map(),
    peerings: new Map(),
    roles: new Map(),
    endpointServices: new Map(),
  };
  for (const region of [...new Set(sb.spec.clusters.map((c) => c.region))]) {
    const ec2 = new EC2Client({ region, endpoint: sb.cloud.motoEndpoint, credentials: creds });
    const tags = await ec2.send(new DescribeTagsCommand({ MaxResults: 1000 }));
    for (const t of tags.Tags ?? []) {
      const key = `${region}/${t.ResourceId}`;
      w.ec2Tags.set(key, { ...(w.ec2Tags.get(key) ?? {}), [t.Key!]: t.Value ?? '' });
    }
    for (const rt of (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables ?? []) {
      for (const a of rt.Associations ?? []) {
        w.associations.set(`${region}/${a.RouteTableAssociationId}`, {
          routeTableId: rt.RouteTableId!,
          subnetId: a.SubnetId,
        });
      }
    }
    for (const p of (await ec2.send(new DescribeVpcPeeringConnectionsCommand({}))).VpcPeeringConnections ?? []) {
      w.peerings.set(p.VpcPeeringConnectionId!, { accepterVpcId: p.AccepterVpcInfo!.VpcId! });
      // A peering's tags as this Region shows them (what the product itself reads before tagging a side).
      const key = `${region}/${p.VpcPeeringConnectionId}`;
      for (const t of p.Tags ?? []) w.ec2Tags.set(key, { ...(w.ec2Tags.get(key) ?? {}), [t.Key!]: t.Value ?? '' });
    }
    for (const e of (await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints ?? []) {
      w.endpointServices!.set(`${region}/${e.VpcEndpointId}`, e.ServiceName!);
    }
    ec2.destroy();
  }
  const iam = new IAMClient({ region: 'us-east-1', endpoint: sb.cloud.motoEndpoint, credentials: creds });
  for (const r of (await iam.send(new ListRolesCommand({}))).Roles ?? []) {
    const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName! }))).Tags ?? [];
    w.roles.set(r.RoleName!, { arn: r.Arn!, tags: Object.fromEntries(tags.map((t) => [t.Key!, t.Value ?? ''])) });
  }
  iam.destroy();
  return w;
}

/** The decision for one authorization, with the policy attached as its two parts, rendered for the spec's clusters. */
async function decide(mesh: string, a: Authorization): Promise<string> {
  const { network, clusters } = renderWorkerPolicies(
    mesh,
    sb.spec.clusters.map((c) => c.name),
  );
  const result = await runSimulation(
    {
      identityPolicies: [
        { name: 'meshops-worker-network', policy: network },
        { name: 'meshops-worker-clusters', policy: clusters },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: a.action,
        principal: WORKER,
        resource: { resource: a.resource, accountId: SANDBOX_ACCOUNT_ID },
        contextVariables: a.context,
      },
    },
    {},
  );
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

beforeAll(async () => {
  sb = await sandboxFor('iam-policy');
  sb.cloud.calls.keepLog(true);
  const up = await sb.run(`up --confirm ${sb.spec.name}`);
  expect(up.ok, seen(up.anchor)).toBe(true);
  // Every resource a call of up or down names exists now, with the tags it had when it was acted on.
  world = await readWorld();
  const down = await sb.run(`down --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
  expect(down.ok, seen(down.anchor)).toBe(true);
  // Presigned GetCallerIdentity is EKS checking a token (the stand-ins), not a call of the worker.
  calls = sb.cloud.calls.log().filter((c) => !c.presigned);
}, 600_000);

afterAll(async () => {
  await sb?.stop();
});

describe('the worker policy (infra/iam/meshops-worker-policy.json) for mesh demo', () => {
  it('renders for the mesh in two parts that each fit a managed policy, and refuses names that are not DNS labels', () => {
    expect(JSON.stringify(renderWorkerPolicy('demo'))).not.toMatch(/\$\{MESH\}/);
    // The longest mesh name whose role names (<mesh>-eks-cluster) IAM accepts: 64 - 12 characters; ten clusters.
    const tenClusters = Array.from({ length: 10 }, (_, i) => `cluster-${i}xyz`);
    const parts = renderWorkerPolicies('m'.repeat(52), tenClusters);
    const all = renderWorkerPolicy('m'.repeat(52), tenClusters).Statement;
    expect(parts.network.Statement.length + parts.clusters.Statement.length).toBe(all.length);
    for (const part of [parts.network, parts.clusters]) {
      expect(JSON.stringify(part).replace(/\s/g, '').length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    }
    // One in-tree load balancer statement per cluster, each naming its cluster's tag key; none without clusters.
    const perCluster = all.filter((st) => String(st.Sid).startsWith('InTreeLoadBalancers'));
    expect(perCluster.map((st) => st.Sid)).toEqual(tenClusters.map((_, i) => `InTreeLoadBalancers${i + 1}`));
    expect(JSON.stringify(perCluster[3])).toContain(
      `aws:ResourceTag/kubernetes.io/cluster/${'m'.repeat(52)}-cluster-3xyz`,
    );
    expect(renderWorkerPolicy('demo').Statement.some((st) => String(st.Sid).startsWith('InTree'))).toBe(false);
    expect(JSON.stringify(renderWorkerPolicy('demo', ['iad']))).not.toMatch(/\$\{/);
    expect(() => renderWorkerPolicy('de*mo')).toThrow(/not a DNS label/);
    expect(() => renderWorkerPolicy('demo', ['i*d'])).toThrow(/cluster name "i\*d" is not a DNS label/);
  });

  it('allows every AWS call of /mesh up and /mesh down', async () => {
    const refused: string[] = [];
    const actions = new Set<string>();
    for (let i = 0; i < calls.length; i++) {
      actions.add(`${calls[i].service}:${calls[i].action}`);
      for (const a of authorizationsFor(world, calls, i)) {
        const decision = await decide(sb.spec.name, a);
        if (decision !== 'Allowed')
          refused.push(`${a.call}: ${a.action} on ${a.resource} ${JSON.stringify(a.context)} -> ${decision}`);
      }
    }
    expect(refused).toEqual([]);
    // Both phases ran: creates and deletes of each kind of resource.
    expect(actions).toContain('ec2:CreateVpc');
    expect(actions).toContain('ec2:DeleteVpc');
    expect(actions).toContain('eks:CreateCluster');
    expect(actions).toContain('iam:DeleteRole');
    console.info(`worker policy: ${calls.length} calls, ${actions.size} distinct actions, all allowed`);
  });

  it("lets meshops tag the accepter's untagged side of a peering for its own mesh only", async () => {
    const pcx = 'arn:aws:ec2:us-west-2:123456789012:vpc-peering-connection/pcx-1';
    const tagAs = (mesh: string) => ({ 'aws:RequestTag/meshops:mesh': mesh, 'aws:TagKeys': ['meshops:mesh'] });
    const tagging = (context: Record<string, string | string[]>) => ({
      action: 'ec2:CreateTags',
      resource: pcx,
      context,
      call: 'CreateTags',
    });
    expect(await decide('demo', tagging(tagAs('demo')))).toBe('Allowed');
    expect(await decide('demo', tagging(tagAs('other')))).not.toBe('Allowed');
    expect(await decide('demo', tagging({ ...tagAs('demo'), 'aws:ResourceTag/meshops:mesh': 'other' }))).not.toBe(
      'Allowed',
    );
  });

  it("lets meshops delete GuardDuty's endpoint and group (tagged GuardDutyManaged, not by meshops), and no other untagged or other mesh's", async () => {
    const arn = (type: string, id: string) => `arn:aws:ec2:us-east-1:${SANDBOX_ACCOUNT_ID}:${type}/${id}`;
    const del = (
      action: string,
      resource: string,
      tags: Record<string, string>,
      extra: Record<string, string> = {},
    ) => ({
      action,
      resource,
      context: { ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])), ...extra },
      call: action,
    });
    const guardDuty = { GuardDutyManaged: 'true' };
    const gdService = { 'ec2:VpceServiceName': 'com.amazonaws.us-east-1.guardduty-data' };
    const endpoint = arn('vpc-endpoint', 'vpce-0guardduty');
    const group = arn('security-group', 'sg-0guardduty');
    expect(await decide('demo', del('ec2:DeleteVpcEndpoints', endpoint, guardDuty, gdService))).toBe('Allowed');
    expect(await decide('demo', del('ec2:DeleteSecurityGroup', group, guardDuty))).toBe('Allowed');
    // An endpoint or group nobody tagged, or another mesh's, stays out of reach.
    expect(await decide('demo', del('ec2:DeleteVpcEndpoints', endpoint, {}, gdService))).not.toBe('Allowed');
    expect(await decide('demo', del('ec2:DeleteSecurityGroup', group, {}))).not.toBe('Allowed');
    expect(
      await decide('demo', del('ec2:DeleteVpcEndpoints', endpoint, { 'meshops:mesh': 'other' }, gdService)),
    ).not.toBe('Allowed');
    expect(await decide('demo', del('ec2:DeleteSecurityGroup', group, { 'meshops:mesh': 'other' }))).not.toBe(
      'Allowed',
    );
    // Tagged GuardDutyManaged but an endpoint of another service (anyone can set that tag): out of reach too.
    const s3 = { 'ec2:VpceServiceName': 'com.amazonaws.us-east-1.s3' };
    expect(await decide('demo', del('ec2:DeleteVpcEndpoints', endpoint, guardDuty, s3))).not.toBe('Allowed');
  });

  it("lets meshops delete the load balancer and group a mesh cluster's Load Balancer Controller left, not another mesh's", async () => {
    const tagged = (action: string, resource: string, cluster: string) => ({
      action,
      resource,
      context: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': cluster },
      call: action,
    });
    const lb = `arn:aws:elasticloadbalancing:us-east-1:${SANDBOX_ACCOUNT_ID}:loadbalancer/net/k8s-default-web-0a1b2c3d4e/50dc6c495c0c9188`;
    const group = `arn:aws:ec2:us-east-1:${SANDBOX_ACCOUNT_ID}:security-group/sg-0lbcontroller`;
    expect(await decide('demo', tagged('elasticloadbalancing:DeleteLoadBalancer', lb, 'demo-iad'))).toBe('Allowed');
    expect(await decide('demo', tagged('ec2:DeleteSecurityGroup', group, 'demo-iad'))).toBe('Allowed');
    expect(await decide('demo', tagged('elasticloadbalancing:DeleteLoadBalancer', lb, 'other-iad'))).not.toBe(
      'Allowed',
    );
    expect(await decide('demo', tagged('ec2:DeleteSecurityGroup', group, 'other-iad'))).not.toBe('Allowed');
  });

  it("lets meshops delete a Classic ELB and k8s-elb group a mesh cluster's in-tree cloud provider left, not another mesh's or cluster's", async () => {
    const [first] = sb.spec.clusters;
    const owned = (action: string, resource: string, eksCluster: string) => ({
      action,
      resource,
      context: {
        [`aws:ResourceTag/kubernetes.io/cluster/${eksCluster}`]: 'owned',
        'aws:ResourceTag/kubernetes.io/service-name': 'default/web',
      },
      call: action,
    });
    const lb = `arn:aws:elasticloadbalancing:us-east-1:${SANDBOX_ACCOUNT_ID}:loadbalancer/a0a1b2c3d4e5f60718293a4b5c6d7e8f`;
    const group = `arn:aws:ec2:us-east-1:${SANDBOX_ACCOUNT_ID}:security-group/sg-0k8selb`;
    const ours = `${sb.spec.name}-${first!.name}`;
    expect(await decide(sb.spec.name, owned('elasticloadbalancing:DeleteLoadBalancer', lb, ours))).toBe('Allowed');
    expect(await decide(sb.spec.name, owned('ec2:DeleteSecurityGroup', group, ours))).toBe('Allowed');
    for (const other of [`other-${first!.name}`, `${sb.spec.name}-notinspec`]) {
      expect(await decide(sb.spec.name, owned('elasticloadbalancing:DeleteLoadBalancer', lb, other))).not.toBe(
        'Allowed',
      );
      expect(await decide(sb.spec.name, owned('ec2:DeleteSecurityGroup', group, other))).not.toBe('Allowed');
    }
    // Tagged `shared` (a cluster that uses it but did not make it), it is not the cluster's to delete.
    const shared = {
      action: 'elasticloadbalancing:DeleteLoadBalancer',
      resource: lb,
      context: { [`aws:ResourceTag/kubernetes.io/cluster/${ours}`]: 'shared' },
      call: 'DeleteLoadBalancer',
    };
    expect(await decide(sb.spec.name, shared)).not.toBe('Allowed');
  });

  it("lets meshops delete an in-tree NLB and the target groups a mesh cluster's provider left, not another's", async () => {
    const [first] = sb.spec.clusters;
    const owned = (action: string, resource: string, eksCluster: string) => ({
      action,
      resource,
      context: { [`aws:ResourceTag/kubernetes.io/cluster/${eksCluster}`]: 'owned' },
      call: action,
    });
    const region = `arn:aws:elasticloadbalancing:us-east-1:${SANDBOX_ACCOUNT_ID}`;
    const nlb = `${region}:loadbalancer/net/a0a1b2c3d4e5f60718293a4b5c6d7e8f/50dc6c495c0c9188`;
    const tg = `${region}:targetgroup/k8s-default-web-0a1b2c3d4e/73e2d6bc24d8a067`;
    const ours = `${sb.spec.name}-${first!.name}`;
    expect(await decide(sb.spec.name, owned('elasticloadbalancing:DeleteLoadBalancer', nlb, ours))).toBe('Allowed');
    expect(await decide(sb.spec.name, owned('elasticloadbalancing:DeleteTargetGroup', tg, ours))).toBe('Allowed');
    for (const other of [`other-${first!.name}`, `${sb.spec.name}-notinspec`]) {
      expect(await decide(sb.spec.name, owned('elasticloadbalancing:DeleteTargetGroup', tg, other))).not.toBe(
        'Allowed',
      );
    }
    // The Load Balancer Controller's target groups, by its cluster tag: the mesh's clusters only.
    const controller = (cluster: string) => ({
      action: 'elasticloadbalancing:DeleteTargetGroup',
      resource: tg,
      context: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': cluster },
      call: 'DeleteTargetGroup',
    });
    expect(await decide(sb.spec.name, controller(ours))).toBe('Allowed');
    expect(await decide(sb.spec.name, controller(`other-${first!.name}`))).not.toBe('Allowed');
  });

  it("lets the worker read its own role's ARN (to name it with its path in access entries), not another mesh's roles", async () => {
    const getRole = (resource: string, tags: Record<string, string>) => ({
      action: 'iam:GetRole',
      resource,
      context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
      call: 'GetRole',
    });
    const own = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/platform/workers/meshops-worker`;
    expect(await decide('demo', getRole(own, {}))).toBe('Allowed');
    const others = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/meshops/other-eks-cluster`;
    expect(await decide('demo', getRole(others, { 'meshops:mesh': 'other' }))).not.toBe('Allowed');
  });

  it('denies the same calls on the resources of another mesh (other tag values, cluster and role names)', async () => {
    const allowed: string[] = [];
    let checked = 0;
    for (let i = 0; i < calls.length; i++) {
      const needed = authorizationsFor(world, calls, i);
      // Reads without resource-level permissions are the same for every mesh; the rest must be denied.
      if (needed.every((a) => a.resource === '*' && !a.context['aws:RequestTag/meshops:mesh'])) continue;
      checked++;
      // A call goes through only if every resource it touches is allowed.
      const decisions = await Promise.all(
        needed.map((a) => decide(sb.spec.name, forOtherMesh(a, sb.spec.name, 'other'))),
      );
      if (decisions.every((d) => d === 'Allowed')) allowed.push(needed[0].call);
    }
    expect(checked).toBeGreaterThan(50);
    expect(allowed).toEqual([]);
    console.info(`worker policy: ${checked} calls repeated on mesh "other", all denied`);
  });
});
