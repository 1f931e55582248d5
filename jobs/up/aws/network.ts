// A cluster's network, as the reference blueprint lays it out: a VPC with DNS on, public and private /20 subnets
// in two AZs, an internet gateway, a NAT gateway (with its Elastic IP) per AZ, and route tables. Every leaf finds
// what exists by tags first and makes only what is missing; creates carry their tags so a crash never leaves an
// untagged (unfindable, duplicated on retry) resource.
import {
  AllocateAddressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeNatGatewaysCommand,
  DescribeVpcAttributeCommand,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, NatGateway, RouteTable, Subnet, Vpc } from '@aws-sdk/client-ec2';
import { subnetLayout } from '../../../src/config/cidr.ts';
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { PermanentError } from '../../../src/errors.ts';
import { aws } from '../../../src/aws/errors.ts';
import {
  chooseAvailabilityZones,
  findAddresses,
  findInternetGateways,
  findNatGateways,
  findRouteTables,
  findSubnets,
  findVpc,
} from '../../../src/aws/find.ts';
import { ensureAssociation, ensureRoute } from '../../../src/aws/routes.ts';
import { resourceName, tagSpec, tagValue } from '../../../src/aws/tags.ts';
import type { Component } from '../../../src/aws/tags.ts';
import { leaf, parallel, sequential } from '../../../src/steps/step.ts';
import type { Observation, Step, StepContext, StepOutcome } from '../../../src/steps/step.ts';
import { waitFor } from '../../../src/steps/wait.ts';

const NAT_TIMEOUT_MS = 10 * 60_000;
const ELB_ROLE = { Key: 'kubernetes.io/role/elb', Value: '1' };
const INTERNAL_ELB_ROLE = { Key: 'kubernetes.io/role/internal-elb', Value: '1' };
const AZ_INDEXES = [0, 1] as const;

/** What the leaves of one cluster's network share: who, where, and how to find each piece. */
interface Net {
  deps: Deps;
  cluster: ClusterSpec;
  mesh: string;
  ec2: EC2Client;
  layout: { public: [string, string]; private: [string, string] };
}

function tags(net: Net, component: Component, az?: string) {
  return { mesh: net.mesh, cluster: net.cluster.name, component, az };
}

async function requireVpc(net: Net): Promise<Vpc> {
  const vpc = await findVpc(net.ec2, net.mesh, net.cluster.name);
  if (!vpc) throw new Error(`the VPC of ${net.cluster.name} is not there yet (the VPC step runs first)`);
  return vpc;
}

/** The subnet of one kind and AZ index, identified by its CIDR (the layout fixes it). */
async function subnetsOf(net: Net, kind: 'public' | 'private'): Promise<(Subnet | undefined)[]> {
  const found = await findSubnets(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component: `subnet-${kind}` });
  return AZ_INDEXES.map((k) => found.find((s) => s.CidrBlock === net.layout[kind][k]));
}

async function requireSubnet(net: Net, kind: 'public' | 'private', k: number): Promise<Subnet> {
  const s = (await subnetsOf(net, kind))[k];
  if (!s) throw new Error(`the ${kind} subnet ${net.layout[kind][k]} of ${net.cluster.name} is not there yet`);
  return s;
}

// ---- VPC ----

async function observeVpc(net: Net): Promise<Observation> {
  const vpc = await findVpc(net.ec2, net.mesh, net.cluster.name);
  return vpc ? { state: 'exists', detail: `${vpc.VpcId} ${vpc.CidrBlock}` } : { state: 'missing', detail: net.cluster.vpcCidr };
}

async function ensureVpcAttribute(net: Net, vpcId: string, attr: 'enableDnsSupport' | 'enableDnsHostnames'): Promise<boolean> {
  const cur = await aws('ec2:DescribeVpcAttribute', () =>
    net.ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attr })),
  );
  const on = attr === 'enableDnsSupport' ? cur.EnableDnsSupport?.Value : cur.EnableDnsHostnames?.Value;
  if (on) return false;
  // One attribute per call: the API refuses both at once.
  const input = attr === 'enableDnsSupport' ? { EnableDnsSupport: { Value: true } } : { EnableDnsHostnames: { Value: true } };
  await aws('ec2:ModifyVpcAttribute', () => net.ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, ...input })));
  return true;
}

async function runVpc(net: Net, ctx: StepContext): Promise<StepOutcome> {
  let vpc = await findVpc(net.ec2, net.mesh, net.cluster.name);
  let changed = false;
  if (vpc && vpc.CidrBlock !== net.cluster.vpcCidr) {
    throw new PermanentError(
      `VPC ${vpc.VpcId} of ${net.cluster.name} has CIDR ${vpc.CidrBlock}, but the spec says ${net.cluster.vpcCidr}`,
      { code: 'VpcCidrMismatch', hint: 'set vpcCidr back in the spec, or run /mesh down first to rebuild the network' },
    );
  }
  if (!vpc) {
    const out = await aws('ec2:CreateVpc', () =>
      net.ec2.send(new CreateVpcCommand({ CidrBlock: net.cluster.vpcCidr, TagSpecifications: tagSpec('vpc', tags(net, 'vpc')) })),
    );
    vpc = out.Vpc!;
    changed = true;
    await ctx.checkpoint();
  }
  // DNS hostnames are needed by EKS nodes and by DNS resolution across the peering.
  changed = (await ensureVpcAttribute(net, vpc.VpcId!, 'enableDnsSupport')) || changed;
  changed = (await ensureVpcAttribute(net, vpc.VpcId!, 'enableDnsHostnames')) || changed;
  return {
    summary: `${changed ? 'VPC ready' : 'VPC exists'}: ${vpc.VpcId} ${vpc.CidrBlock} (${net.cluster.region}), DNS hostnames on`,
    changed,
    resources: { vpc: vpc.VpcId! },
  };
}

// ---- Subnets ----

async function observeSubnets(net: Net): Promise<Observation> {
  const all = [...(await subnetsOf(net, 'public')), ...(await subnetsOf(net, 'private'))];
  const n = all.filter(Boolean).length;
  return { state: n === 4 ? 'exists' : n === 0 ? 'missing' : 'partial', detail: `${n}/4 subnets` };
}

async function runSubnets(net: Net, ctx: StepContext): Promise<StepOutcome> {
  const vpc = await requireVpc(net);
  const existing = { public: await subnetsOf(net, 'public'), private: await subnetsOf(net, 'private') };
  // An AZ already holding a subnet of this index stays the AZ of that index (AWS's AZ list may change).
  const chosen = await chooseAvailabilityZones(net.ec2, net.cluster.availabilityZones);
  const azs = AZ_INDEXES.map((k) => existing.public[k]?.AvailabilityZone ?? existing.private[k]?.AvailabilityZone ?? chosen[k]!);
  const made: string[] = [];
  const ids: Record<string, string> = {};
  for (const kind of ['public', 'private'] as const) {
    const role = kind === 'public' ? ELB_ROLE : INTERNAL_ELB_ROLE;
    for (const k of AZ_INDEXES) {
      let subnet = existing[kind][k];
      const az = azs[k]!;
      if (!subnet) {
        const out = await aws('ec2:CreateSubnet', () =>
          net.ec2.send(
            new CreateSubnetCommand({
              VpcId: vpc.VpcId!,
              CidrBlock: net.layout[kind][k],
              AvailabilityZone: az,
              TagSpecifications: tagSpec('subnet', tags(net, `subnet-${kind}`, az), [role]),
            }),
          ),
        );
        subnet = out.Subnet!;
        made.push(subnet.SubnetId!);
        await ctx.checkpoint();
      } else if (tagValue(subnet.Tags, role.Key) !== role.Value) {
        // Load balancer discovery depends on the role tag: repair it if someone removed it.
        await aws('ec2:CreateTags', () => net.ec2.send(new CreateTagsCommand({ Resources: [subnet!.SubnetId!], Tags: [role] })));
        made.push(`${subnet.SubnetId} (role tag)`);
      }
      ids[`${kind}-${k}`] = subnet.SubnetId!;
    }
  }
  const list = AZ_INDEXES.map((k) => `${azs[k]}: public ${ids[`public-${k}`]}, private ${ids[`private-${k}`]}`).join('; ');
  return {
    summary: made.length ? `subnets ready (${made.length} made) — ${list}` : `subnets exist — ${list}`,
    changed: made.length > 0,
    resources: ids,
  };
}

// ---- Internet gateway ----

async function observeIgw(net: Net): Promise<Observation> {
  const igw = (await findInternetGateways(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component: 'igw' }))[0];
  if (!igw) return { state: 'missing' };
  // AWS reports an IGW attachment as 'available', though the SDK type says 'attached'.
  const attached = (igw.Attachments ?? []).some((a) => ['available', 'attached'].includes(String(a.State)));
  return { state: attached ? 'exists' : 'partial', detail: `${igw.InternetGatewayId}${attached ? '' : ' (not attached)'}` };
}

async function runIgw(net: Net, ctx: StepContext): Promise<StepOutcome> {
  const vpc = await requireVpc(net);
  let igw = (await findInternetGateways(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component: 'igw' }))[0];
  let changed = false;
  if (!igw) {
    const out = await aws('ec2:CreateInternetGateway', () =>
      net.ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', tags(net, 'igw')) })),
    );
    igw = out.InternetGateway!;
    changed = true;
    await ctx.checkpoint();
  }
  const attachedTo = (igw.Attachments ?? []).map((a) => a.VpcId);
  if (attachedTo.length && !attachedTo.includes(vpc.VpcId)) {
    throw new PermanentError(`internet gateway ${igw.InternetGatewayId} is attached to ${attachedTo.join(', ')}, not ${vpc.VpcId}`, {
      code: 'IgwAttachedElsewhere',
      hint: 'detach it by hand, or run /mesh down and up again',
    });
  }
  if (!attachedTo.length) {
    await aws('ec2:AttachInternetGateway', () =>
      net.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw!.InternetGatewayId!, VpcId: vpc.VpcId! })),
    );
    changed = true;
  }
  return {
    summary: `internet gateway ${changed ? 'ready' : 'exists'}: ${igw.InternetGatewayId} attached to ${vpc.VpcId}`,
    changed,
    resources: { igw: igw.InternetGatewayId! },
  };
}

// ---- Route tables ----

async function ensureRouteTable(net: Net, ctx: StepContext, vpcId: string, component: Component, az?: string): Promise<{ table: RouteTable; made: boolean }> {
  const name = resourceName(net.mesh, net.cluster.name, component, az);
  const found = (await findRouteTables(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component, name }))[0];
  if (found) return { table: found, made: false };
  const out = await aws('ec2:CreateRouteTable', () =>
    net.ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: tagSpec('route-table', tags(net, component, az)) })),
  );
  await ctx.checkpoint();
  return { table: out.RouteTable!, made: true };
}

async function observePublicRoutes(net: Net): Promise<Observation> {
  const name = resourceName(net.mesh, net.cluster.name, 'rtb-public');
  const t = (await findRouteTables(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component: 'rtb-public', name }))[0];
  if (!t) return { state: 'missing' };
  const def = (t.Routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.GatewayId?.startsWith('igw-'));
  const assoc = (t.Associations ?? []).filter((a) => a.SubnetId).length;
  return { state: def && assoc === 2 ? 'exists' : 'partial', detail: `${t.RouteTableId}, default route ${def ? 'to IGW' : 'missing'}, ${assoc}/2 subnets` };
}

async function runPublicRoutes(net: Net, ctx: StepContext): Promise<StepOutcome> {
  const vpc = await requireVpc(net);
  const igw = (await findInternetGateways(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component: 'igw' }))[0];
  if (!igw) throw new Error(`the internet gateway of ${net.cluster.name} is not there yet`);
  const { table, made } = await ensureRouteTable(net, ctx, vpc.VpcId!, 'rtb-public');
  let changed = made;
  changed = (await ensureRoute(net.ec2, table, '0.0.0.0/0', { GatewayId: igw.InternetGatewayId! })) || changed;
  for (const k of AZ_INDEXES) {
    const subnet = await requireSubnet(net, 'public', k);
    changed = (await ensureAssociation(net.ec2, table, subnet.SubnetId!)) || changed;
  }
  return {
    summary: `public route table ${changed ? 'ready' : 'exists'}: ${table.RouteTableId} (0.0.0.0/0 -> ${igw.InternetGatewayId}, 2 public subnets)`,
    changed,
    resources: { rtbPublic: table.RouteTableId! },
  };
}

// ---- NAT gateway per AZ ----

async function natOf(net: Net, subnetId: string): Promise<NatGateway | undefined> {
  return (await findNatGateways(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component: 'nat' }, [{ Name: 'subnet-id', Values: [subnetId] }]))[0];
}

async function observeNat(net: Net, k: number): Promise<Observation> {
  const subnet = (await subnetsOf(net, 'public'))[k];
  if (!subnet) return { state: 'missing', detail: `AZ ${k + 1}` };
  const nat = await natOf(net, subnet.SubnetId!);
  if (!nat) return { state: 'missing', detail: subnet.AvailabilityZone };
  return { state: nat.State === 'available' ? 'exists' : 'partial', detail: `${nat.NatGatewayId} ${nat.State} in ${subnet.AvailabilityZone}` };
}

async function runNat(net: Net, k: number, ctx: StepContext): Promise<StepOutcome> {
  const subnet = await requireSubnet(net, 'public', k);
  const az = subnet.AvailabilityZone!;
  let nat = await natOf(net, subnet.SubnetId!);
  let changed = false;
  let allocationId = nat?.NatGatewayAddresses?.[0]?.AllocationId;
  if (!nat) {
    // The Elastic IP of this AZ, made by an earlier run that stopped before the NAT gateway, is reused.
    const name = resourceName(net.mesh, net.cluster.name, 'eip', az);
    const eips = await findAddresses(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component: 'eip', name });
    let eip = eips.find((a) => !a.AssociationId) ?? eips[0];
    if (!eip) {
      const out = await aws('ec2:AllocateAddress', () =>
        net.ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagSpec('elastic-ip', tags(net, 'eip', az)) })),
      );
      eip = { AllocationId: out.AllocationId, PublicIp: out.PublicIp };
      await ctx.checkpoint();
    }
    allocationId = eip.AllocationId;
    const out = await aws('ec2:CreateNatGateway', () =>
      net.ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: subnet.SubnetId!,
          AllocationId: eip!.AllocationId!,
          TagSpecifications: tagSpec('natgateway', tags(net, 'nat', az)),
        }),
      ),
    );
    nat = out.NatGateway!;
    changed = true;
    await ctx.checkpoint();
  }
  const natId = nat.NatGatewayId!;
  if (nat.State !== 'available') {
    await waitFor(ctx, {
      what: `NAT gateway ${natId} (${az})`,
      intervalMs: net.deps.pollIntervalMs,
      timeoutMs: NAT_TIMEOUT_MS,
      poll: async () => {
        const out = await aws('ec2:DescribeNatGateways', () => net.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] })));
        const cur = out.NatGateways?.[0];
        if (cur?.State === 'failed') {
          // A failed NAT gateway is history: the next attempt of this step finds none and makes a new one.
          throw new Error(`NAT gateway ${natId} failed: ${cur.FailureCode ?? ''} ${cur.FailureMessage ?? ''}`.trim());
        }
        return { done: cur?.State === 'available', status: cur?.State ?? 'not visible yet' };
      },
    });
  }
  return {
    summary: `NAT gateway ${changed ? 'ready' : 'exists'}: ${natId} in ${az} (${subnet.SubnetId}), Elastic IP ${allocationId ?? '?'}`,
    changed,
    resources: { nat: natId, ...(allocationId ? { eip: allocationId } : {}) },
  };
}

// ---- Private route tables, one per AZ ----

async function observePrivateRoutes(net: Net): Promise<Observation> {
  const tables = await findRouteTables(net.ec2, { mesh: net.mesh, cluster: net.cluster.name, component: 'rtb-private' });
  const good = tables.filter(
    (t) =>
      (t.Routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.NatGatewayId && r.State !== 'blackhole') &&
      (t.Associations ?? []).some((a) => a.SubnetId),
  ).length;
  return { state: good >= 2 ? 'exists' : tables.length === 0 ? 'missing' : 'partial', detail: `${good}/2 private route tables complete` };
}

async function runPrivateRoutes(net: Net, ctx: StepContext): Promise<StepOutcome> {
  const vpc = await requireVpc(net);
  let changed = false;
  const parts: string[] = [];
  const resources: Record<string, string> = {};
  for (const k of AZ_INDEXES) {
    const priv = await requireSubnet(net, 'private', k);
    const pub = await requireSubnet(net, 'public', k);
    const az = priv.AvailabilityZone!;
    const nat = await natOf(net, pub.SubnetId!);
    if (!nat) throw new Error(`the NAT gateway of ${net.cluster.name} in ${pub.AvailabilityZone} is not there yet`);
    const { table, made } = await ensureRouteTable(net, ctx, vpc.VpcId!, 'rtb-private', az);
    changed = made || changed;
    changed = (await ensureRoute(net.ec2, table, '0.0.0.0/0', { NatGatewayId: nat.NatGatewayId! })) || changed;
    changed = (await ensureAssociation(net.ec2, table, priv.SubnetId!)) || changed;
    parts.push(`${table.RouteTableId} (${az}: 0.0.0.0/0 -> ${nat.NatGatewayId})`);
    resources[`rtbPrivate-${k}`] = table.RouteTableId!;
  }
  return { summary: `private route tables ${changed ? 'ready' : 'exist'}: ${parts.join(', ')}`, changed, resources };
}

/** The whole network of one cluster, in dependency order; the two NAT gateways side by side. */
export function networkStep(deps: Deps, cluster: ClusterSpec): Step {
  const net: Net = {
    deps,
    cluster,
    mesh: deps.spec.name,
    ec2: deps.aws.ec2(cluster.region),
    layout: subnetLayout(cluster.vpcCidr),
  };
  const id = `network/${cluster.name}`;
  return sequential(id, `network of ${cluster.name} (${cluster.region})`, [
    leaf(`${id}/vpc`, `VPC ${cluster.vpcCidr}`, (ctx) => runVpc(net, ctx), () => observeVpc(net)),
    leaf(`${id}/subnets`, 'public and private subnets in two AZs', (ctx) => runSubnets(net, ctx), () => observeSubnets(net)),
    leaf(`${id}/igw`, 'internet gateway', (ctx) => runIgw(net, ctx), () => observeIgw(net)),
    leaf(`${id}/public-routes`, 'public route table', (ctx) => runPublicRoutes(net, ctx), () => observePublicRoutes(net)),
    parallel(
      `${id}/nat`,
      'NAT gateways',
      AZ_INDEXES.map((k) =>
        leaf(`${id}/nat-${k + 1}`, `NAT gateway in AZ ${k + 1}`, (ctx) => runNat(net, k, ctx), () => observeNat(net, k)),
      ),
    ),
    leaf(`${id}/private-routes`, 'private route tables (one per AZ)', (ctx) => runPrivateRoutes(net, ctx), () => observePrivateRoutes(net)),
  ]);
}
