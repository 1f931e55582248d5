// VPC peering between two clusters' VPCs: requested in a's region with PeerRegion, accepted in b's region; DNS
// resolution across it (each side's option can be read and changed only in its own region); and routes to the
// peer VPC CIDR in every private route table of both sides (nodes live in the private subnets). What AWS does
// here that surprises people:
// - the request takes a moment to appear on the accepter's side (InvalidVpcPeeringConnectionID.NotFound there);
// - tags are per side: the accepter's view is tagged too, so status and down find it from both regions;
// - a peering still pending acceptance can be deleted only by its requester (the accepter could only reject it).

import type { EC2Client, Filter, RouteTable, VpcPeeringConnection } from '@aws-sdk/client-ec2';
import {
  AcceptVpcPeeringConnectionCommand,
  CreateTagsCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteRouteCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeVpcPeeringConnectionsCommand,
  ModifyVpcPeeringConnectionOptionsCommand,
} from '@aws-sdk/client-ec2';
import { aws, awsOrMissing, isAwsError } from '../../aws/errors.ts';
import { keepMatching } from '../../aws/find.ts';
import { ec2Tags, MESH_TAG, PEER_TAG, peeringName, tagSpec, tagValue } from '../../aws/tags.ts';
import type { ClusterSpec } from '../../config/spec-types.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { deleteRetrying, type Health, healthLine } from './common.ts';
import { describeRouteTables, ensureRoute, privateTables } from './route-tables.ts';
import { findVpc } from './vpc.ts';

const PEERING_TIMEOUT_MS = 5 * 60_000;

/** Peering connections that still count; deleted/failed/rejected/expired ones are ignored. */
export const LIVE_PEERING_STATES = ['initiating-request', 'pending-acceptance', 'provisioning', 'active'];

export interface Pair {
  deps: Deps;
  mesh: string;
  a: ClusterSpec;
  b: ClusterSpec;
}

export const pairOf = (deps: Deps, a: ClusterSpec, b: ClusterSpec): Pair => ({ deps, mesh: deps.spec.name, a, b });

function peeringTags(p: Pair) {
  const name = peeringName(p.mesh, p.a.name, p.b.name);
  return { mesh: p.mesh, cluster: p.a.name, component: 'peering' as const, name, extra: { [PEER_TAG]: p.b.name } };
}

export async function describePeerings(
  ec2: EC2Client,
  filters: Filter[],
  states = LIVE_PEERING_STATES,
): Promise<VpcPeeringConnection[]> {
  const all = [...filters];
  if (states.length) all.push({ Name: 'status-code', Values: states });
  const out = await aws('ec2:DescribeVpcPeeringConnections', () =>
    ec2.send(new DescribeVpcPeeringConnectionsCommand({ Filters: all })),
  );
  // Some EC2-compatible endpoints ignore these filters: apply them again.
  const only = (f: Filter | undefined, value: string | undefined) =>
    !f || (value !== undefined && (f.Values ?? []).includes(value));
  const by = (name: string) => all.find((f) => f.Name === name);
  return keepMatching(out.VpcPeeringConnections ?? [], all).filter(
    (p) =>
      only(by('status-code'), p.Status?.Code) &&
      only(by('requester-vpc-info.vpc-id'), p.RequesterVpcInfo?.VpcId) &&
      only(by('accepter-vpc-info.vpc-id'), p.AccepterVpcInfo?.VpcId),
  );
}

/** Live peering connections between two VPCs, whichever side requested them. */
export async function findPeeringsBetween(ec2: EC2Client, vpcA: string, vpcB: string): Promise<VpcPeeringConnection[]> {
  const side = (r: string, acc: string) => [
    { Name: 'requester-vpc-info.vpc-id', Values: [r] },
    { Name: 'accepter-vpc-info.vpc-id', Values: [acc] },
  ];
  const [ab, ba] = await Promise.all([
    describePeerings(ec2, side(vpcA, vpcB)),
    describePeerings(ec2, side(vpcB, vpcA)),
  ]);
  return [...ab, ...ba];
}

/** Every live peering one VPC takes part in, either side: two reads, whatever the number of peers. */
export async function findPeeringsOf(ec2: EC2Client, vpcId: string): Promise<VpcPeeringConnection[]> {
  const [asRequester, asAccepter] = await Promise.all([
    describePeerings(ec2, [{ Name: 'requester-vpc-info.vpc-id', Values: [vpcId] }]),
    describePeerings(ec2, [{ Name: 'accepter-vpc-info.vpc-id', Values: [vpcId] }]),
  ]);
  return [...asRequester, ...asAccepter];
}

async function vpcIds(p: Pair): Promise<{ vpcA: string; vpcB: string }> {
  const [va, vb] = await Promise.all([
    findVpc(p.deps.aws.ec2(p.a.region), p.mesh, p.a.name),
    findVpc(p.deps.aws.ec2(p.b.region), p.mesh, p.b.name),
  ]);
  if (!va || !vb)
    throw new Error(`the VPC of ${!va ? p.a.name : p.b.name} is not there yet (the network steps run first)`);
  return { vpcA: va.VpcId!, vpcB: vb.VpcId! };
}

/** The live peering between the two VPCs (a mesh-tagged one first), seen from a's region. */
export async function findPair(p: Pair, vpcA: string, vpcB: string): Promise<VpcPeeringConnection | undefined> {
  const found = await findPeeringsBetween(p.deps.aws.ec2(p.a.region), vpcA, vpcB);
  return found.find((x) => tagValue(x.Tags, MESH_TAG) === p.mesh) ?? found[0];
}

async function describeIn(deps: Deps, region: string, id: string): Promise<VpcPeeringConnection | undefined> {
  // Cross-region requests take a moment to appear on the accepter's side.
  const out = await awsOrMissing(
    'ec2:DescribeVpcPeeringConnections',
    () => deps.aws.ec2(region).send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] })),
    'InvalidVpcPeeringConnectionID.NotFound',
  );
  return out?.VpcPeeringConnections?.[0];
}

/**
 * A peering that ended without becoming active is history, not repaired: AWS keeps it visible for a while (and
 * refuses to delete a rejected one), and the next `up` requests a new one beside it (findPair sees live ones
 * only). What to fix first depends on how it ended.
 */
const PEERING_ENDINGS: Record<string, string> = {
  failed:
    "AWS refuses a peering between VPCs whose CIDRs overlap: check the clusters' vpcCidr in the spec, then run " +
    '`/mesh up` again: it requests a new peering.',
  rejected:
    'someone or something in the accepter region rejected the request (meshops accepts it itself): find out who ' +
    '(CloudTrail, RejectVpcPeeringConnection), then run `/mesh up` again: it requests a new peering.',
  expired:
    'the request was not accepted in time (AWS lets a request wait 7 days): run `/mesh up` again: it requests a ' +
    'new peering and accepts it.',
};

function failedPeering(id: string, pcx: VpcPeeringConnection | undefined): PermanentError | undefined {
  const code = pcx?.Status?.Code;
  if (code === undefined || !(code in PEERING_ENDINGS)) return undefined;
  return new PermanentError(`VPC peering ${id} is ${code}: ${pcx?.Status?.Message || 'no reason given'}`, {
    code: `VpcPeering.${code}`,
    hint: PEERING_ENDINGS[code],
  });
}

/** Which region is whose: the requester is whichever VPC asked (normally a). */
function sides(p: Pair, pcx: VpcPeeringConnection, vpcB: string) {
  const bRequested = pcx.RequesterVpcInfo?.VpcId === vpcB;
  return {
    requesterRegion: bRequested ? p.b.region : p.a.region,
    accepterRegion: bRequested ? p.a.region : p.b.region,
  };
}

// ---- the connection ----

export async function observeConnection(p: Pair): Promise<Observation> {
  const va = await findVpc(p.deps.aws.ec2(p.a.region), p.mesh, p.a.name);
  const vb = await findVpc(p.deps.aws.ec2(p.b.region), p.mesh, p.b.name);
  if (!va || !vb) return { state: 'missing', detail: `${p.a.name} <-> ${p.b.name}` };
  const pcx = await findPair(p, va.VpcId!, vb.VpcId!);
  if (!pcx) return { state: 'missing', detail: `${va.VpcId} <-> ${vb.VpcId}` };
  const code = pcx.Status?.Code;
  if (code === 'active') return { state: 'ok', detail: pcx.VpcPeeringConnectionId };
  return { state: 'repair', detail: `${pcx.VpcPeeringConnectionId} is ${code}` };
}

export async function ensureConnection(p: Pair, ctx: StepContext): Promise<StepOutcome> {
  const { vpcA, vpcB } = await vpcIds(p);
  let pcx = await findPair(p, vpcA, vpcB);
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
  const removed = await removeDuplicates(p, ctx, pcx, vpcA, vpcB);
  const id = pcx.VpcPeeringConnectionId!;
  const { requesterRegion, accepterRegion } = sides(p, pcx, vpcB);
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
        const done = code === 'pending-acceptance' || code === 'active' || code === 'provisioning';
        return { done, status: code ?? 'not visible yet', value: cur };
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
  const theirs = await describeIn(p.deps, accepterRegion, id);
  if (theirs && tagValue(theirs.Tags, MESH_TAG) !== p.mesh) {
    await aws('ec2:CreateTags', () =>
      p.deps.aws.ec2(accepterRegion).send(new CreateTagsCommand({ Resources: [id], Tags: ec2Tags(peeringTags(p)) })),
    );
  }
  const dup = removed.length
    ? `; removed a duplicate VPC peering ${removed.join(', ')} (a retried CreateVpcPeeringConnection made it)`
    : '';
  return {
    summary: `VPC peering ${changed ? 'active' : 'exists'}: ${id} ${vpcA} (${p.a.region}) <-> ${vpcB} (${p.b.region})${dup}`,
    changed,
    resources: { peering: id },
  };
}

/**
 * CreateVpcPeeringConnection has no idempotency token: a lost answer the SDK retried leaves two requests between
 * the same VPCs with the mesh's tags. The one kept is an active one, else the one this run got; the others are
 * deleted from the requester's side (the only side that can delete one pending acceptance), before either is
 * accepted.
 */
async function removeDuplicates(
  p: Pair,
  ctx: StepContext,
  got: VpcPeeringConnection,
  vpcA: string,
  vpcB: string,
): Promise<string[]> {
  const ec2 = p.deps.aws.ec2(p.a.region);
  const ours = (await findPeeringsBetween(ec2, vpcA, vpcB)).filter((x) => tagValue(x.Tags, MESH_TAG) === p.mesh);
  if (ours.length < 2) return [];
  const keep = ours.find((x) => x.Status?.Code === 'active') ?? got;
  const removed: string[] = [];
  for (const x of ours.filter((y) => y.VpcPeeringConnectionId !== keep.VpcPeeringConnectionId)) {
    const id = x.VpcPeeringConnectionId!;
    const del = () =>
      aws('ec2:DeleteVpcPeeringConnection', () =>
        ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })),
      );
    const opts = { notFound: [], retryOn: ['InvalidVpcPeeringConnectionID.NotFound'], timeoutMs: 2 * 60_000 };
    if (await deleteRetrying(p.deps, ctx, `duplicate VPC peering ${id}`, del, opts)) removed.push(id);
  }
  return removed;
}

async function requireActive(p: Pair): Promise<{ pcx: VpcPeeringConnection; vpcA: string; vpcB: string }> {
  const { vpcA, vpcB } = await vpcIds(p);
  const pcx = await findPair(p, vpcA, vpcB);
  if (pcx?.Status?.Code !== 'active') {
    const seen = pcx?.Status?.Code ?? 'missing';
    throw new Error(`the peering between ${p.a.name} and ${p.b.name} is not active yet (${seen})`);
  }
  return { pcx, vpcA, vpcB };
}

// ---- DNS resolution across it ----

/** Both sides' DNS options, each read in its own region (the other region's view does not show it). */
async function dnsOptions(p: Pair, pcx: VpcPeeringConnection, vpcB: string) {
  const id = pcx.VpcPeeringConnectionId!;
  const { requesterRegion, accepterRegion } = sides(p, pcx, vpcB);
  const [mine, theirs] = await Promise.all([
    requesterRegion === p.a.region ? pcx : describeIn(p.deps, requesterRegion, id),
    describeIn(p.deps, accepterRegion, id),
  ]);
  return {
    requesterRegion,
    accepterRegion,
    requester: !!mine?.RequesterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc,
    accepter: !!theirs?.AccepterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc,
  };
}

export async function observeDns(p: Pair): Promise<Observation> {
  const ids = await vpcIds(p).catch(() => undefined);
  if (!ids) return { state: 'missing' };
  const pcx = await findPair(p, ids.vpcA, ids.vpcB);
  if (!pcx) return { state: 'missing' };
  const o = await dnsOptions(p, pcx, ids.vpcB);
  if (o.requester && o.accepter) return { state: 'ok', detail: 'both sides' };
  if (!o.requester && !o.accepter) return { state: 'missing' };
  return { state: 'repair', detail: `off on the ${o.requester ? 'accepter' : 'requester'} side` };
}

export async function ensureDns(p: Pair): Promise<StepOutcome> {
  const { pcx, vpcB } = await requireActive(p);
  const id = pcx.VpcPeeringConnectionId!;
  const o = await dnsOptions(p, pcx, vpcB);
  let changed = false;
  const on = { AllowDnsResolutionFromRemoteVpc: true };
  try {
    if (!o.requester) {
      await aws('ec2:ModifyVpcPeeringConnectionOptions', () =>
        p.deps.aws.ec2(o.requesterRegion).send(
          new ModifyVpcPeeringConnectionOptionsCommand({
            VpcPeeringConnectionId: id,
            RequesterPeeringConnectionOptions: on,
          }),
        ),
      );
      changed = true;
    }
    if (!o.accepter) {
      await aws('ec2:ModifyVpcPeeringConnectionOptions', () =>
        p.deps.aws.ec2(o.accepterRegion).send(
          new ModifyVpcPeeringConnectionOptionsCommand({
            VpcPeeringConnectionId: id,
            AccepterPeeringConnectionOptions: on,
          }),
        ),
      );
      changed = true;
    }
  } catch (err) {
    // Only an endpoint that plainly does not implement the call is tolerated; the mesh works without it
    // (Calico federation resolves pods through the remote API, not VPC DNS).
    if (!isAwsError(err, 'NotImplemented')) throw err;
    return {
      summary: `DNS resolution across ${id}: not supported by this EC2 endpoint (NotImplemented); skipped`,
      changed: false,
    };
  }
  return {
    summary: `DNS resolution across ${id} ${changed ? 'enabled' : 'already on'} (both sides)`,
    changed,
    resources: { peering: id },
  };
}

// ---- routes to the peer ----

export async function observeRoutes(p: Pair): Promise<Observation> {
  const [ta, tb] = await Promise.all([privateTables(p.deps, p.mesh, p.a), privateTables(p.deps, p.mesh, p.b)]);
  const has = (tables: RouteTable[], cidr: string) =>
    tables.filter((t) =>
      (t.Routes ?? []).some(
        (r) => r.DestinationCidrBlock === cidr && r.VpcPeeringConnectionId && r.State !== 'blackhole',
      ),
    ).length;
  const n = has(ta, p.b.vpcCidr) + has(tb, p.a.vpcCidr);
  const total = ta.length + tb.length;
  const detail = `${n}/${total || 4} private route tables route to the peer`;
  return { state: total > 0 && n === total ? 'ok' : n === 0 ? 'missing' : 'repair', detail };
}

export async function ensureRoutes(p: Pair): Promise<StepOutcome> {
  const { pcx } = await requireActive(p);
  const id = pcx.VpcPeeringConnectionId!;
  let made = 0;
  const done: string[] = [];
  for (const [side, peer] of [
    [p.a, p.b],
    [p.b, p.a],
  ] as const) {
    const tables = await privateTables(p.deps, p.mesh, side);
    if (tables.length === 0)
      throw new Error(`${side.name} has no private route tables yet (the network step runs first)`);
    for (const t of tables) {
      if (await ensureRoute(p.deps.aws.ec2(side.region), t, peer.vpcCidr, { VpcPeeringConnectionId: id })) made++;
      done.push(t.RouteTableId!);
    }
  }
  const what = `${p.a.name} -> ${p.b.vpcCidr}, ${p.b.name} -> ${p.a.vpcCidr} in ${done.join(', ')}`;
  return {
    summary: `routes to the peer VPC via ${id} ${made ? `added (${made})` : 'exist'}: ${what}`,
    changed: made > 0,
    resources: { peering: id },
  };
}

// ---- health ----

export interface PeerView {
  name: string;
  cidr: string;
  pcx?: string;
}

/** One line per peer: is there a live peering between the two VPCs, and is it active. */
export function health(
  cluster: string,
  vpcId: string | undefined,
  ours: VpcPeeringConnection[],
  others: { name: string; cidr: string; vpcId?: string }[],
): { lines: Health[]; peers: PeerView[] } {
  const lines: Health[] = [];
  const peers: PeerView[] = [];
  for (const o of others) {
    const subject = `peering ${cluster} <-> ${o.name}`;
    if (!vpcId || !o.vpcId) {
      lines.push(healthLine('absent', subject, `${!vpcId ? cluster : o.name} has no VPC`));
      peers.push({ name: o.name, cidr: o.cidr });
      continue;
    }
    const pcx = ours.find((x) => [x.RequesterVpcInfo?.VpcId, x.AccepterVpcInfo?.VpcId].includes(o.vpcId));
    const state = pcx?.Status?.Code;
    if (!pcx) lines.push(healthLine('absent', subject, `no live peering between ${vpcId} and ${o.vpcId}`));
    else
      lines.push(
        healthLine(state === 'active' ? 'ok' : 'warning', subject, `${pcx.VpcPeeringConnectionId} is ${state}`),
      );
    peers.push({ name: o.name, cidr: o.cidr, pcx: pcx?.VpcPeeringConnectionId });
  }
  return { lines, peers };
}

/** Per private route table: a route to every peer, through that peer's peering, not a blackhole. */
export function routeHealth(tables: RouteTable[], peers: PeerView[]): Health[] {
  if (tables.length === 0) return [healthLine('absent', 'private route tables', 'none tagged for this cluster')];
  return tables.map((t) => {
    const problems: string[] = [];
    const good: string[] = [];
    for (const p of peers) {
      const r = (t.Routes ?? []).find((x) => x.DestinationCidrBlock === p.cidr);
      if (!r) problems.push(`no route to ${p.cidr} (${p.name})`);
      else if (r.State === 'blackhole') {
        problems.push(`route to ${p.cidr} (${p.name}) is a blackhole (${r.VpcPeeringConnectionId ?? 'no target'})`);
      } else if (p.pcx && r.VpcPeeringConnectionId !== p.pcx) {
        problems.push(
          `route to ${p.cidr} goes to ${r.VpcPeeringConnectionId ?? r.GatewayId ?? r.NatGatewayId}, not ${p.pcx}`,
        );
      } else good.push(`${p.cidr} via ${r.VpcPeeringConnectionId}`);
    }
    const subject = `route table ${t.RouteTableId}`;
    if (problems.length)
      return healthLine(peers.some((p) => p.pcx) ? 'failing' : 'absent', subject, problems.join('; '));
    return healthLine('ok', subject, good.length ? `routes ${good.join(', ')}` : 'no peers to route to');
  });
}

// ---- find and remove, for down ----

export interface FoundPeering {
  id: string;
  /** The region it is deleted from: the requester's (the only side that can delete one pending acceptance). */
  region: string;
  /** Every region it shows in (routes to it are removed in each). */
  regions: string[];
}

/** Peerings tagged with the mesh or touching its VPCs, in the regions given. */
export async function findForMesh(deps: Deps, regions: { region: string; vpcs: string[] }[]): Promise<FoundPeering[]> {
  const vpcIds = regions.flatMap((r) => r.vpcs);
  const seen = new Map<string, FoundPeering>();
  for (const r of regions) {
    const ec2 = deps.aws.ec2(r.region);
    const lists = await Promise.all([
      describePeerings(ec2, [{ Name: `tag:${MESH_TAG}`, Values: [deps.spec.name] }]),
      ...(vpcIds.length
        ? [
            describePeerings(ec2, [{ Name: 'requester-vpc-info.vpc-id', Values: vpcIds }]),
            describePeerings(ec2, [{ Name: 'accepter-vpc-info.vpc-id', Values: vpcIds }]),
          ]
        : []),
    ]);
    for (const p of lists.flat()) {
      const id = p.VpcPeeringConnectionId!;
      const sidesSeen = [p.RequesterVpcInfo?.Region, p.AccepterVpcInfo?.Region].filter((x): x is string => !!x);
      const entry = seen.get(id) ?? { id, region: p.RequesterVpcInfo?.Region ?? r.region, regions: [] };
      entry.regions = [...new Set([...entry.regions, r.region, ...sidesSeen])];
      seen.set(id, entry);
    }
  }
  return [...seen.values()];
}

export async function remove(deps: Deps, ctx: StepContext, p: FoundPeering): Promise<StepOutcome> {
  const routes: string[] = [];
  for (const region of p.regions) {
    const ec2 = deps.aws.ec2(region);
    const tables = await describeRouteTables(ec2, [{ Name: 'route.vpc-peering-connection-id', Values: [p.id] }]);
    for (const t of tables) {
      for (const r of (t.Routes ?? []).filter((x) => x.VpcPeeringConnectionId === p.id && x.DestinationCidrBlock)) {
        const input = { RouteTableId: t.RouteTableId!, DestinationCidrBlock: r.DestinationCidrBlock! };
        await awsOrMissing(
          'ec2:DeleteRoute',
          () => ec2.send(new DeleteRouteCommand(input)),
          'InvalidRoute.NotFound',
          'InvalidRouteTableID.NotFound',
        );
        routes.push(`${t.RouteTableId}:${r.DestinationCidrBlock}`);
      }
    }
  }
  await ctx.checkpoint();
  const out = await awsOrMissing(
    'ec2:DeleteVpcPeeringConnection',
    () => deps.aws.ec2(p.region).send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: p.id })),
    'InvalidVpcPeeringConnectionID.NotFound',
    'InvalidStateTransition',
  );
  return {
    summary: `${out ? 'deleted' : 'already gone:'} VPC peering ${p.id}${routes.length ? `, routes ${routes.join(', ')}` : ''}`,
    changed: !!out || routes.length > 0,
    resources: { peering: p.id },
  };
}
