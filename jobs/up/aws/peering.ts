// VPC peering between two clusters' VPCs (requested in a's region with PeerRegion, accepted in b's region),
// DNS resolution across it, and routes to the peer VPC CIDR in every private route table on both sides:
// nodes live in the private subnets, so that is where cross-cluster VXLAN traffic leaves from.
import {
  AcceptVpcPeeringConnectionCommand,
  CreateTagsCommand,
  CreateVpcPeeringConnectionCommand,
  DescribeVpcPeeringConnectionsCommand,
  ModifyVpcPeeringConnectionOptionsCommand,
} from '@aws-sdk/client-ec2';
import type { VpcPeeringConnection } from '@aws-sdk/client-ec2';
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { PermanentError } from '../../../src/errors.ts';
import { aws, isAwsError } from '../../../src/aws/errors.ts';
import { findPeeringsBetween, findRouteTables, findVpc } from '../../../src/aws/find.ts';
import { ensureRoute } from '../../../src/aws/routes.ts';
import { MESH_TAG, PEER_TAG, ec2Tags, peeringName, tagSpec, tagValue } from '../../../src/aws/tags.ts';
import { leaf, sequential } from '../../../src/steps/step.ts';
import type { Observation, Step, StepContext, StepOutcome } from '../../../src/steps/step.ts';
import { waitFor } from '../../../src/steps/wait.ts';

const PEERING_TIMEOUT_MS = 5 * 60_000;

interface Pair {
  deps: Deps;
  mesh: string;
  a: ClusterSpec;
  b: ClusterSpec;
}

function peeringTags(p: Pair) {
  return { mesh: p.mesh, cluster: p.a.name, component: 'peering' as const, name: peeringName(p.mesh, p.a.name, p.b.name), extra: { [PEER_TAG]: p.b.name } };
}

async function vpcIds(p: Pair): Promise<{ vpcA: string; vpcB: string }> {
  const [va, vb] = await Promise.all([
    findVpc(p.deps.aws.ec2(p.a.region), p.mesh, p.a.name),
    findVpc(p.deps.aws.ec2(p.b.region), p.mesh, p.b.name),
  ]);
  if (!va || !vb) throw new Error(`the VPC of ${!va ? p.a.name : p.b.name} is not there yet (the network steps run first)`);
  return { vpcA: va.VpcId!, vpcB: vb.VpcId! };
}

/** The live peering between the two VPCs (a mesh-tagged one first), seen from a's region. */
export async function findPairPeering(deps: Deps, a: ClusterSpec, b: ClusterSpec, vpcA: string, vpcB: string): Promise<VpcPeeringConnection | undefined> {
  const found = await findPeeringsBetween(deps.aws.ec2(a.region), vpcA, vpcB);
  return found.find((x) => tagValue(x.Tags, MESH_TAG) === deps.spec.name) ?? found[0];
}

async function describeIn(deps: Deps, region: string, id: string): Promise<VpcPeeringConnection | undefined> {
  try {
    const out = await aws('ec2:DescribeVpcPeeringConnections', () =>
      deps.aws.ec2(region).send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] })),
    );
    return out.VpcPeeringConnections?.[0];
  } catch (err) {
    // Cross-region requests take a moment to appear on the accepter's side.
    if (isAwsError(err, 'InvalidVpcPeeringConnectionID.NotFound')) return undefined;
    throw err;
  }
}

function failedPeering(id: string, pcx: VpcPeeringConnection | undefined): PermanentError | undefined {
  const code = pcx?.Status?.Code;
  if (code !== 'failed' && code !== 'rejected' && code !== 'expired') return undefined;
  return new PermanentError(`VPC peering ${id} is ${code}: ${pcx?.Status?.Message ?? ''}`, {
    code: `VpcPeering.${code}`,
    hint: 'VPC CIDRs must not overlap; check the clusters\' vpcCidr in the spec, then run up again',
  });
}

async function observeConnection(p: Pair): Promise<Observation> {
  const va = await findVpc(p.deps.aws.ec2(p.a.region), p.mesh, p.a.name);
  const vb = await findVpc(p.deps.aws.ec2(p.b.region), p.mesh, p.b.name);
  if (!va || !vb) return { state: 'missing', detail: `${p.a.name} <-> ${p.b.name}` };
  const pcx = await findPairPeering(p.deps, p.a, p.b, va.VpcId!, vb.VpcId!);
  if (!pcx) return { state: 'missing', detail: `${va.VpcId} <-> ${vb.VpcId}` };
  return { state: pcx.Status?.Code === 'active' ? 'exists' : 'partial', detail: `${pcx.VpcPeeringConnectionId} ${pcx.Status?.Code}` };
}

async function runConnection(p: Pair, ctx: StepContext): Promise<StepOutcome> {
  const { vpcA, vpcB } = await vpcIds(p);
  let pcx = await findPairPeering(p.deps, p.a, p.b, vpcA, vpcB);
  let changed = false;
  if (!pcx) {
    const out = await aws('ec2:CreateVpcPeeringConnection', () =>
      p.deps.aws.ec2(p.a.region).send(
        new CreateVpcPeeringConnectionCommand({
          VpcId: vpcA,
          PeerVpcId: vpcB,
          PeerRegion: p.b.region,
          TagSpecifications: tagSpec('vpc-peering-connection', peeringTags(p)),
        }),
      ),
    );
    pcx = out.VpcPeeringConnection!;
    changed = true;
    await ctx.checkpoint();
  }
  const id = pcx.VpcPeeringConnectionId!;
  // The accepting side is whichever VPC did not request it (normally b).
  const accepterRegion = pcx.RequesterVpcInfo?.VpcId === vpcB ? p.a.region : p.b.region;
  const requesterRegion = accepterRegion === p.a.region ? p.b.region : p.a.region;
  if (pcx.Status?.Code !== 'active') {
    const seen = await waitFor(ctx, {
      what: `peering ${id} to reach ${accepterRegion}`,
      intervalMs: p.deps.pollIntervalMs,
      timeoutMs: PEERING_TIMEOUT_MS,
      poll: async () => {
        const cur = await describeIn(p.deps, accepterRegion, id);
        const failed = failedPeering(id, cur);
        if (failed) throw failed;
        const code = cur?.Status?.Code;
        return { done: code === 'pending-acceptance' || code === 'active' || code === 'provisioning', status: code ?? 'not visible yet', value: cur };
      },
    });
    if (seen?.Status?.Code === 'pending-acceptance') {
      await aws('ec2:AcceptVpcPeeringConnection', () =>
        p.deps.aws.ec2(accepterRegion).send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })),
      );
      changed = true;
    }
    await waitFor(ctx, {
      what: `peering ${id} to become active`,
      intervalMs: p.deps.pollIntervalMs,
      timeoutMs: PEERING_TIMEOUT_MS,
      poll: async () => {
        const cur = await describeIn(p.deps, requesterRegion, id);
        const failed = failedPeering(id, cur);
        if (failed) throw failed;
        return { done: cur?.Status?.Code === 'active', status: cur?.Status?.Code ?? 'not visible' };
      },
    });
  }
  // Tags are per side for cross-region peering: tag the accepter's view too, so status and down find it there.
  const theirs = await describeIn(p.deps, accepterRegion, id);
  if (theirs && tagValue(theirs.Tags, MESH_TAG) !== p.mesh) {
    await aws('ec2:CreateTags', () =>
      p.deps.aws.ec2(accepterRegion).send(new CreateTagsCommand({ Resources: [id], Tags: ec2Tags(peeringTags(p)) })),
    );
  }
  return {
    summary: `VPC peering ${changed ? 'active' : 'exists'}: ${id} ${vpcA} (${p.a.region}) <-> ${vpcB} (${p.b.region})`,
    changed,
    resources: { peering: id },
  };
}

async function requireActivePeering(p: Pair): Promise<{ pcx: VpcPeeringConnection; vpcA: string; vpcB: string }> {
  const { vpcA, vpcB } = await vpcIds(p);
  const pcx = await findPairPeering(p.deps, p.a, p.b, vpcA, vpcB);
  if (!pcx || pcx.Status?.Code !== 'active') {
    throw new Error(`the peering between ${p.a.name} and ${p.b.name} is not active yet (${pcx?.Status?.Code ?? 'missing'})`);
  }
  return { pcx, vpcA, vpcB };
}

async function observeDns(p: Pair): Promise<Observation> {
  const { vpcA, vpcB } = await vpcIds(p).catch(() => ({ vpcA: '', vpcB: '' }));
  if (!vpcA) return { state: 'missing' };
  const pcx = await findPairPeering(p.deps, p.a, p.b, vpcA, vpcB);
  const on = pcx?.RequesterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc && pcx?.AccepterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc;
  return { state: on ? 'exists' : 'missing', detail: on ? 'both sides' : undefined };
}

async function runDns(p: Pair): Promise<StepOutcome> {
  const { pcx, vpcA } = await requireActivePeering(p);
  const id = pcx.VpcPeeringConnectionId!;
  const aRequested = pcx.RequesterVpcInfo?.VpcId === vpcA;
  const requesterRegion = aRequested ? p.a.region : p.b.region;
  const accepterRegion = aRequested ? p.b.region : p.a.region;
  let changed = false;
  try {
    // Each side's option can only be changed from its own region (cross-region peering).
    if (!pcx.RequesterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc) {
      await aws('ec2:ModifyVpcPeeringConnectionOptions', () =>
        p.deps.aws.ec2(requesterRegion).send(
          new ModifyVpcPeeringConnectionOptionsCommand({ VpcPeeringConnectionId: id, RequesterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: true } }),
        ),
      );
      changed = true;
    }
    const theirs = await describeIn(p.deps, accepterRegion, id);
    if (!theirs?.AccepterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc) {
      await aws('ec2:ModifyVpcPeeringConnectionOptions', () =>
        p.deps.aws.ec2(accepterRegion).send(
          new ModifyVpcPeeringConnectionOptionsCommand({ VpcPeeringConnectionId: id, AccepterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: true } }),
        ),
      );
      changed = true;
    }
  } catch (err) {
    // Only an endpoint that plainly does not implement the call is tolerated; the mesh works without it
    // (Calico federation resolves pods through the remote API, not VPC DNS).
    if (!isAwsError(err, 'NotImplemented')) throw err;
    return { summary: `DNS resolution across ${id}: not supported by this EC2 endpoint (NotImplemented); skipped`, changed: false };
  }
  return { summary: `DNS resolution across ${id} ${changed ? 'enabled' : 'already on'} (both sides)`, changed, resources: { peering: id } };
}

async function privateTables(p: Pair, c: ClusterSpec) {
  return findRouteTables(p.deps.aws.ec2(c.region), { mesh: p.mesh, cluster: c.name, component: 'rtb-private' });
}

async function observeRoutes(p: Pair): Promise<Observation> {
  const [ta, tb] = await Promise.all([privateTables(p, p.a), privateTables(p, p.b)]);
  const has = (tables: typeof ta, cidr: string) => tables.filter((t) => (t.Routes ?? []).some((r) => r.DestinationCidrBlock === cidr && r.VpcPeeringConnectionId && r.State !== 'blackhole')).length;
  const n = has(ta, p.b.vpcCidr) + has(tb, p.a.vpcCidr);
  const total = ta.length + tb.length;
  return { state: total > 0 && n === total ? 'exists' : n === 0 ? 'missing' : 'partial', detail: `${n}/${total || 4} private route tables route to the peer` };
}

async function runRoutes(p: Pair): Promise<StepOutcome> {
  const { pcx } = await requireActivePeering(p);
  const id = pcx.VpcPeeringConnectionId!;
  let made = 0;
  const done: string[] = [];
  for (const [side, peer] of [[p.a, p.b], [p.b, p.a]] as const) {
    const tables = await privateTables(p, side);
    if (tables.length === 0) throw new Error(`${side.name} has no private route tables yet (the network step runs first)`);
    for (const t of tables) {
      if (await ensureRoute(p.deps.aws.ec2(side.region), t, peer.vpcCidr, { VpcPeeringConnectionId: id })) made++;
      done.push(t.RouteTableId!);
    }
  }
  return {
    summary: `routes to the peer VPC via ${id} ${made ? `added (${made})` : 'exist'}: ${p.a.name} -> ${p.b.vpcCidr}, ${p.b.name} -> ${p.a.vpcCidr} in ${done.join(', ')}`,
    changed: made > 0,
    resources: { peering: id },
  };
}

export function peeringStep(deps: Deps, a: ClusterSpec, b: ClusterSpec): Step {
  const p: Pair = { deps, mesh: deps.spec.name, a, b };
  const id = `peering/${a.name}-${b.name}`;
  return sequential(id, `VPC peering ${a.name} <-> ${b.name}`, [
    leaf(`${id}/connection`, `peering ${a.name} (${a.region}) <-> ${b.name} (${b.region})`, (ctx) => runConnection(p, ctx), () => observeConnection(p)),
    leaf(`${id}/dns`, 'DNS resolution across the peering', () => runDns(p), () => observeDns(p)),
    leaf(`${id}/routes`, `routes ${a.vpcCidr} <-> ${b.vpcCidr}`, () => runRoutes(p), () => observeRoutes(p)),
  ]);
}
