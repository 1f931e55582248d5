// A cluster's four subnets: public and private /20s in two AZs, as the blueprint lays them out (the CIDRs come
// from the VPC's), tagged with the role load balancers look for. An AZ that already holds a subnet of an index
// stays that index's AZ.

import type { EC2Client, Filter, Subnet } from '@aws-sdk/client-ec2';
import {
  CreateSubnetCommand,
  CreateTagsCommand,
  DeleteSubnetCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.ts';
import { keepMatching, type Scope } from '../../aws/find.ts';
import { COMPONENT_TAG, meshFilters, tagSpec, tagValue } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import {
  AZ_INDEXES,
  type ClusterScope,
  clusterTags,
  deleteRetrying,
  type Health,
  healthLine,
  removedOutcome,
} from './common.ts';
import { remainingInterfaces, requireVpc } from './vpc.ts';
import { chooseZones, readZoneFacts } from './zones.ts';

const ELB_ROLE = { Key: 'kubernetes.io/role/elb', Value: '1' };
const INTERNAL_ELB_ROLE = { Key: 'kubernetes.io/role/internal-elb', Value: '1' };

export type SubnetKind = 'public' | 'private';

export async function findSubnets(ec2: EC2Client, s: Scope, extra: Filter[] = []): Promise<Subnet[]> {
  const filters = [...meshFilters(s.mesh, s), ...extra];
  const out = await aws('ec2:DescribeSubnets', () => ec2.send(new DescribeSubnetsCommand({ Filters: filters })));
  return keepMatching(out.Subnets ?? [], filters);
}

/** Both kinds of the cluster's subnets in one call: the observation, the subnets step and the NAT steps ask. */
function clusterSubnets(s: ClusterScope): Promise<Subnet[]> {
  const kinds = { Name: `tag:${COMPONENT_TAG}`, Values: ['subnet-public', 'subnet-private'] };
  return findSubnets(s.ec2, { mesh: s.mesh, cluster: s.cluster.name }, [kinds]);
}

/** Per kind, the subnet of each AZ index, identified by its CIDR (the layout fixes it) and its component tag. */
function byKind(s: ClusterScope, found: Subnet[]): Record<SubnetKind, (Subnet | undefined)[]> {
  const of = (kind: SubnetKind) =>
    AZ_INDEXES.map((k) =>
      found.find((x) => x.CidrBlock === s.layout[kind][k] && tagValue(x.Tags, COMPONENT_TAG) === `subnet-${kind}`),
    );
  return { public: of('public'), private: of('private') };
}

/** The subnet of one kind per AZ index, identified by its CIDR (the layout fixes it). */
export async function subnetsOf(s: ClusterScope, kind: SubnetKind): Promise<(Subnet | undefined)[]> {
  return byKind(s, await clusterSubnets(s))[kind];
}

export async function requireSubnet(s: ClusterScope, kind: SubnetKind, k: number): Promise<Subnet> {
  const found = (await subnetsOf(s, kind))[k];
  if (!found) throw new Error(`the ${kind} subnet ${s.layout[kind][k]} of ${s.cluster.name} is not there yet`);
  return found;
}

/** The private subnets' IDs, for the control plane and the node group. */
export async function privateSubnetIds(s: ClusterScope): Promise<string[]> {
  const found = await findSubnets(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component: 'subnet-private' });
  if (found.length < 2) {
    throw new Error(`${s.cluster.name} has ${found.length}/2 private subnets yet (the network step runs first)`);
  }
  return found.map((x) => x.SubnetId!).sort();
}

export async function observe(s: ClusterScope): Promise<Observation> {
  const found = byKind(s, await clusterSubnets(s));
  const all = [...found.public, ...found.private];
  const n = all.filter(Boolean).length;
  return { state: n === 4 ? 'ok' : n === 0 ? 'missing' : 'repair', detail: `${n}/4 subnets` };
}

export async function ensure(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  // The subnets are found by their tags, not by the VPC, and what a choice of zones needs does not depend on them:
  // all read at once, one round trip before the creates instead of three (the zones' reads go unused on a run that
  // finds every subnet in place).
  const zoneFacts = readZoneFacts(s);
  zoneFacts.catch(() => {}); // awaited, and so thrown, only when a subnet is missing
  const [vpc, found] = await Promise.all([requireVpc(s), clusterSubnets(s)]);
  const existing = byKind(s, found);
  const heldBy = (k: number) => existing.public[k] ?? existing.private[k];
  const held = AZ_INDEXES.map((k) => heldBy(k)?.AvailabilityZone);
  const zones = held.every(Boolean)
    ? AZ_INDEXES.map((k) => ({ name: held[k]!, id: heldBy(k)?.AvailabilityZoneId ?? '?' }))
    : await chooseZones(s, held, zoneFacts);
  const azs = zones.map((z) => z.name);
  const wanted = (['public', 'private'] as const).flatMap((kind) => AZ_INDEXES.map((k) => ({ kind, k })));
  // The four are independent (a CIDR in an AZ each): made or repaired side by side, one round trip, not four.
  const done = await Promise.all(
    wanted.map(async ({ kind, k }) => {
      const role = kind === 'public' ? ELB_ROLE : INTERNAL_ELB_ROLE;
      const az = azs[k]!;
      const subnet = existing[kind][k];
      if (!subnet) {
        const out = await aws('ec2:CreateSubnet', () =>
          s.ec2.send(
            new CreateSubnetCommand({
              VpcId: vpc.VpcId!,
              CidrBlock: s.layout[kind][k],
              AvailabilityZone: az,
              TagSpecifications: tagSpec('subnet', clusterTags(s, `subnet-${kind}`, az), [role]),
            }),
          ),
        );
        return { key: `${kind}-${k}`, id: out.Subnet!.SubnetId!, made: out.Subnet!.SubnetId! };
      }
      const id = subnet.SubnetId!;
      if (tagValue(subnet.Tags, role.Key) !== role.Value) {
        // Load balancer discovery depends on the role tag: repair it if someone removed it.
        await aws('ec2:CreateTags', () => s.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [role] })));
        return { key: `${kind}-${k}`, id, made: `${id} (role tag)` };
      }
      return { key: `${kind}-${k}`, id };
    }),
  );
  await ctx.checkpoint();
  const made = done.flatMap((d) => (d.made ? [d.made] : []));
  const ids: Record<string, string> = Object.fromEntries(done.map((d) => [d.key, d.id]));
  const list = AZ_INDEXES.map(
    (k) => `${azs[k]} (${zones[k]!.id}): public ${ids[`public-${k}`]}, private ${ids[`private-${k}`]}`,
  );
  return {
    summary: made.length
      ? `subnets ready (${made.length} made) — ${list.join('; ')}`
      : `subnets exist — ${list.join('; ')}`,
    changed: made.length > 0,
    resources: ids,
  };
}

export function health(subnets: Subnet[]): Health[] {
  const n = subnets.length;
  return [
    healthLine(n === 4 ? 'ok' : n === 0 ? 'absent' : 'warning', 'subnets', `${n}/4 (public and private in two AZs)`),
  ];
}

export async function remove(deps: Deps, ctx: StepContext, region: string, ids: string[]): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(region);
  const deleted: string[] = [];
  for (const id of ids) {
    const call = () => aws('ec2:DeleteSubnet', () => ec2.send(new DeleteSubnetCommand({ SubnetId: id })));
    const ok = await deleteRetrying(deps, ctx, `subnet ${id}`, call, {
      notFound: ['InvalidSubnetID.NotFound'],
      explain: () => remainingInterfaces(ec2, { Name: 'subnet-id', Values: [id] }),
    });
    if (ok) deleted.push(id);
  }
  return removedOutcome('subnets', region, deleted, ids);
}
