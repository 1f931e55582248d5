// The VPC of one cluster: the spec's CIDR; DNS support and DNS hostnames on (EKS nodes and DNS across the
// peering need them), a step of its own. Found by its tags; a second VPC tagged for the same cluster (a lost
// CreateVpc response that was retried) is reported by health.

import type { EC2Client, Vpc } from '@aws-sdk/client-ec2';
import {
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.ts';
import { keepMatching, type Scope } from '../../aws/find.ts';
import { sentMoreThanOnce } from '../../aws/retried.ts';
import { meshFilters, tagSpec } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { type ClusterScope, clusterTags, deleteRetrying, type Health, healthLine, removedOutcome } from './common.ts';

export async function findVpcs(ec2: EC2Client, s: Scope): Promise<Vpc[]> {
  const filters = meshFilters(s.mesh, s);
  const out = await aws('ec2:DescribeVpcs', () => ec2.send(new DescribeVpcsCommand({ Filters: filters })));
  return keepMatching(out.Vpcs ?? [], filters);
}

/** The cluster's VPC (if a race ever made two, the first listed; health reports the extra one). */
export async function findVpc(ec2: EC2Client, mesh: string, cluster: string): Promise<Vpc | undefined> {
  return (await findVpcs(ec2, { mesh, cluster, component: 'vpc' }))[0];
}

export async function requireVpc(s: ClusterScope): Promise<Vpc> {
  const vpc = await findVpc(s.ec2, s.mesh, s.cluster.name);
  if (!vpc) throw new Error(`the VPC of ${s.cluster.name} is not there yet (the VPC step runs first)`);
  return vpc;
}

export async function observe(s: ClusterScope): Promise<Observation> {
  const vpc = await findVpc(s.ec2, s.mesh, s.cluster.name);
  return vpc
    ? { state: 'ok', detail: `${vpc.VpcId} ${vpc.CidrBlock}` }
    : { state: 'missing', detail: s.cluster.vpcCidr };
}

type DnsAttribute = 'enableDnsSupport' | 'enableDnsHostnames';

async function attributeOn(s: ClusterScope, vpcId: string, attr: DnsAttribute): Promise<boolean> {
  const cur = await aws('ec2:DescribeVpcAttribute', () =>
    s.ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attr })),
  );
  return !!(attr === 'enableDnsSupport' ? cur.EnableDnsSupport?.Value : cur.EnableDnsHostnames?.Value);
}

async function turnOn(s: ClusterScope, vpcId: string, attr: DnsAttribute): Promise<void> {
  // One attribute per call: the API refuses both at once.
  const input =
    attr === 'enableDnsSupport' ? { EnableDnsSupport: { Value: true } } : { EnableDnsHostnames: { Value: true } };
  await aws('ec2:ModifyVpcAttribute', () => s.ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, ...input })));
}

/** [DNS support, DNS hostnames], read at once. */
const readDns = (s: ClusterScope, vpcId: string) =>
  Promise.all([attributeOn(s, vpcId, 'enableDnsSupport'), attributeOn(s, vpcId, 'enableDnsHostnames')]);

/** DNS support and DNS hostnames on; true when either had to be turned on. */
async function turnDnsOn(s: ClusterScope, vpcId: string): Promise<boolean> {
  const [support, hostnames] = await readDns(s, vpcId);
  // Support first: EC2 turns DNS hostnames on only in a VPC with DNS support.
  if (!support) await turnOn(s, vpcId, 'enableDnsSupport');
  if (!hostnames) await turnOn(s, vpcId, 'enableDnsHostnames');
  return !support || !hostnames;
}

/**
 * The VPC's DNS support and DNS hostnames (EKS: without them nodes cannot register). A step of its own, beside the
 * subnets: the first call that names a VPC made a moment ago may meet EC2's eventual consistency and wait, and the
 * subnets need not wait with it.
 */
export async function ensureDns(s: ClusterScope): Promise<StepOutcome> {
  const vpc = await requireVpc(s);
  const changed = await turnDnsOn(s, vpc.VpcId!);
  return {
    summary: `DNS support and DNS hostnames ${changed ? 'turned on' : 'on'} in ${vpc.VpcId}`,
    changed,
    resources: { vpc: vpc.VpcId! },
  };
}

export async function observeDns(s: ClusterScope): Promise<Observation> {
  const vpc = await findVpc(s.ec2, s.mesh, s.cluster.name);
  if (!vpc) return { state: 'missing', detail: 'on in the new VPC' };
  const [support, hostnames] = await readDns(s, vpc.VpcId!);
  if (support && hostnames) return { state: 'ok', detail: `on in ${vpc.VpcId}` };
  const off = [support ? '' : 'DNS support', hostnames ? '' : 'DNS hostnames'].filter(Boolean).join(' and ');
  return { state: 'repair', detail: `${off} off in ${vpc.VpcId}` };
}

const findTagged = (s: ClusterScope) => findVpcs(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component: 'vpc' });

export async function ensure(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  const tagged = await findTagged(s);
  let vpc = tagged[0];
  let changed = false;
  if (vpc && vpc.CidrBlock !== s.cluster.vpcCidr) {
    throw new PermanentError(
      `VPC ${vpc.VpcId} of ${s.cluster.name} has CIDR ${vpc.CidrBlock}, but the spec says ${s.cluster.vpcCidr}`,
      { code: 'VpcCidrMismatch', hint: 'set vpcCidr back in the spec, or run /mesh down first to rebuild the network' },
    );
  }
  let removed: string[] = [];
  if (!vpc) {
    const out = await aws('ec2:CreateVpc', () =>
      s.ec2.send(
        new CreateVpcCommand({
          CidrBlock: s.cluster.vpcCidr,
          TagSpecifications: tagSpec('vpc', clusterTags(s, 'vpc')),
        }),
      ),
    );
    vpc = out.Vpc!;
    changed = true;
    await ctx.checkpoint();
    // Only a CreateVpc the SDK sent again can have made a second VPC: then the copy is looked for.
    if (sentMoreThanOnce(out)) ({ keep: vpc, removed } = await removeDuplicates(s, ctx, vpc, await findTagged(s)));
  } else if (tagged.length > 1) {
    // Left by an earlier run whose retried CreateVpc made two.
    ({ keep: vpc, removed } = await removeDuplicates(s, ctx, vpc, tagged));
  }
  const dup = removed.length ? `; removed a duplicate VPC ${removed.join(', ')} (a retried CreateVpc made it)` : '';
  return {
    summary: `${changed ? 'VPC created' : 'VPC exists'}: ${vpc.VpcId} ${vpc.CidrBlock} (${s.cluster.region})${dup}`,
    changed,
    resources: { vpc: vpc.VpcId! },
  };
}

/**
 * CreateVpc has no idempotency token: when its answer is lost and the SDK sends it again, two VPCs carry the
 * cluster's tags. The one kept is the one with subnets, else the one this run got; an extra one that is still
 * empty is deleted (one that holds subnets is left, and health reports it).
 */
async function removeDuplicates(
  s: ClusterScope,
  ctx: StepContext,
  got: Vpc,
  all: Vpc[],
): Promise<{ keep: Vpc; removed: string[] }> {
  if (all.length < 2) return { keep: got, removed: [] };
  const subnets = new Map<string, number>();
  for (const v of all) {
    const out = await aws('ec2:DescribeSubnets', () =>
      s.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [v.VpcId!] }] })),
    );
    subnets.set(v.VpcId!, (out.Subnets ?? []).length);
  }
  const count = (v: Vpc) => subnets.get(v.VpcId!) ?? 0;
  const keep = all.reduce(
    (best, v) => (count(v) > count(best) ? v : best),
    all.find((v) => v.VpcId === got.VpcId) ?? got,
  );
  const removed: string[] = [];
  for (const v of all.filter((x) => x.VpcId !== keep.VpcId && count(x) === 0)) {
    const id = v.VpcId!;
    const del = () => aws('ec2:DeleteVpc', () => s.ec2.send(new DeleteVpcCommand({ VpcId: id })));
    // Listed by its tags, so it exists: NotFound here is the copy still settling, not a copy gone.
    const opts = { notFound: [], retryOn: ['InvalidVpcID.NotFound', 'DependencyViolation'], timeoutMs: 2 * 60_000 };
    if (await deleteRetrying(s.deps, ctx, `duplicate VPC ${id}`, del, opts)) {
      removed.push(id);
    }
  }
  return { keep, removed };
}

export function health(s: ClusterScope, vpcs: Vpc[]): Health[] {
  const vpc = vpcs[0];
  if (!vpc) return [healthLine('absent', 'VPC', `none tagged for ${s.cluster.name} in ${s.cluster.region}`)];
  const cidrOk = vpc.CidrBlock === s.cluster.vpcCidr;
  const out = [
    healthLine(
      cidrOk ? 'ok' : 'warning',
      `VPC ${vpc.VpcId} (${vpc.CidrBlock})`,
      cidrOk ? `${vpc.State}, ${s.cluster.region}` : `spec says ${s.cluster.vpcCidr}`,
    ),
  ];
  if (vpcs.length > 1) {
    const ids = vpcs.map((v) => v.VpcId).join(', ');
    out.push(healthLine('warning', 'VPCs', `${vpcs.length} tagged for ${s.cluster.name}: ${ids} (one expected)`));
  }
  return out;
}

/** The network interfaces still in a subnet, group or VPC: what blocks its delete, for the message. */
export async function remainingInterfaces(ec2: EC2Client, filter: { Name: string; Values: string[] }): Promise<string> {
  try {
    const out = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [filter] }));
    const enis = (out.NetworkInterfaces ?? []).map(
      (n) => `${n.NetworkInterfaceId} (${n.Description || n.InterfaceType || 'no description'})`,
    );
    if (!enis.length) return '';
    return `; network interfaces still there: ${enis.join(', ')} (load balancers left by Kubernetes Services are the usual cause)`;
  } catch {
    return '';
  }
}

/** Deletes the VPCs (last in their region: everything in them goes first). */
export async function remove(deps: Deps, ctx: StepContext, region: string, ids: string[]): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(region);
  const deleted: string[] = [];
  for (const v of ids) {
    const call = () => aws('ec2:DeleteVpc', () => ec2.send(new DeleteVpcCommand({ VpcId: v })));
    const ok = await deleteRetrying(deps, ctx, `VPC ${v}`, call, {
      notFound: ['InvalidVpcID.NotFound'],
      explain: () => remainingInterfaces(ec2, { Name: 'vpc-id', Values: [v] }),
    });
    if (ok) deleted.push(v);
  }
  return removedOutcome('VPCs', region, deleted, ids);
}
