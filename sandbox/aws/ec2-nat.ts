// NAT gateways take time on AWS: pending for natCreateMs, then available; after DeleteNatGateway, deleting
// for natDeleteMs, then deleted. The Elastic IP stays allocated (and cannot be released) until the NAT
// gateway is deleted, and for a while after (AWS answers ReleaseAddress with AuthFailure until the NAT gateway's
// association is fully gone: ADDRESS_LAG_MS); moto makes NAT gateways available at once and lets the address go
// at any time. A NAT gateway armed to fail (failNext, for tests) is pending for natCreateMs and then `failed`,
// with EC2's failure code and message; its Elastic IP is disassociated, and it holds nothing in its subnet.
import { DescribeAddressesCommand, DisassociateAddressCommand } from '@aws-sdk/client-ec2';
import type { TimeProfile } from '../contracts.ts';
import type { HttpReply } from './aws-errors.ts';
import { ec2Error } from './aws-errors.ts';
import { elementText, replaceElement, rewriteItems, topLevelItems } from './ec2-xml.ts';
import type { MotoClients } from './moto-clients.ts';
import type { AwsRequest } from './request-info.ts';
import type { Timers } from './timers.ts';

type NatState = 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';

interface NatRecord {
  id: string;
  region: string;
  createdAt: number;
  deletedAt?: number;
  allocationIds: string[];
  subnetId: string;
  vpcId: string;
  failure?: NatFailure;
}

/** EC2's reason on a failed NAT gateway (FailureCode, FailureMessage). */
export interface NatFailure {
  code: string;
  message: string;
}

export interface NatContext {
  profile: TimeProfile;
  timers: Timers;
  moto: MotoClients;
  forward(req: AwsRequest): Promise<HttpReply>;
  log(line: string): void;
  now?: () => number;
  /** How long after `deleted` ReleaseAddress still answers AuthFailure; default: the profile's natDeleteMs. */
  addressReleaseLagMs?: number;
}

export interface NatSimulation {
  handles(action: string): boolean;
  handle(req: AwsRequest): Promise<HttpReply>;
  /** The next NAT gateway created in this region ends `failed` instead of `available`. */
  failNext(region: string, failure: NatFailure): void;
  clear(): void;
}

export function createNatSimulation(ctx: NatContext): NatSimulation {
  const nats = new Map<string, NatRecord>();
  const armed = new Map<string, NatFailure>();
  const now = ctx.now ?? Date.now;

  const stateOf = (nat: NatRecord): NatState => {
    const t = now();
    if (nat.deletedAt !== undefined) return t < nat.deletedAt + ctx.profile.natDeleteMs ? 'deleting' : 'deleted';
    if (t < nat.createdAt + ctx.profile.natCreateMs) return 'pending';
    return nat.failure ? 'failed' : 'available';
  };
  /** Whether it still holds its Elastic IP: not once it failed or was deleted. */
  const holds = (nat: NatRecord) => nat.deletedAt === undefined && stateOf(nat) !== 'failed';

  const withStates = (
    xml: string,
    setName: string,
    keep: (s: NatState | undefined, moto: string | undefined) => boolean,
  ): string => {
    const items = topLevelItems(xml, setName);
    const out = items.map((item) => {
      const id = elementText(item.text, 'natGatewayId');
      const nat = id ? nats.get(id) : undefined;
      const motoState = elementText(item.text, 'state');
      const state = nat ? stateOf(nat) : undefined;
      if (!keep(state, motoState)) return undefined;
      if (!state) return item.text;
      const text = replaceElement(item.text, 'state', state);
      if (state !== 'failed' || !nat?.failure) return text;
      const reason = `<failureCode>${nat.failure.code}</failureCode><failureMessage>${nat.failure.message}</failureMessage>`;
      return text.replace(/<state>failed<\/state>/, `<state>failed</state>${reason}`);
    });
    return rewriteItems(xml, items, out);
  };

  async function create(req: AwsRequest): Promise<HttpReply> {
    const reply = await ctx.forward(req);
    if (reply.status !== 200) return reply;
    const xml = reply.body.toString();
    const id = elementText(xml, 'natGatewayId');
    if (!id) return reply;
    const allocationIds = [req.form?.get('AllocationId')].filter((a): a is string => !!a);
    const subnetId = elementText(xml, 'subnetId') ?? req.form?.get('SubnetId') ?? '';
    const vpcId = elementText(xml, 'vpcId') ?? '';
    const failure = armed.get(req.region);
    armed.delete(req.region);
    const nat: NatRecord = { id, region: req.region, createdAt: now(), allocationIds, subnetId, vpcId, failure };
    nats.set(id, nat);
    const next = failure ? `failed (${failure.code})` : 'available';
    ctx.log(`ec2 ${req.region}: NAT gateway ${id} pending (${next} in ${ctx.profile.natCreateMs} ms)`);
    // A failed NAT gateway lets its Elastic IP go: the address stays allocated, free for another one.
    if (failure) ctx.timers.after(ctx.profile.natCreateMs, `failing NAT gateway ${id}`, () => letAddressesGo(nat));
    return { ...reply, body: replaceElement(xml, 'state', 'pending') };
  }

  async function describe(req: AwsRequest): Promise<HttpReply> {
    // moto's states are not ours: apply the state filter here, on the simulated states.
    const { form, wanted } = withoutStateFilter(req.form!);
    const reply = await ctx.forward({ ...req, form, body: Buffer.from(form.toString()) });
    if (reply.status !== 200) return reply;
    const keep = (state: NatState | undefined, motoState: string | undefined) =>
      !wanted || wanted.includes(state ?? motoState ?? '');
    return { ...reply, body: withStates(reply.body.toString(), 'natGatewaySet', keep) };
  }

  async function remove(req: AwsRequest): Promise<HttpReply> {
    const id = req.form?.get('NatGatewayId') ?? '';
    const nat = nats.get(id);
    if (nat && nat.deletedAt !== undefined && stateOf(nat) === 'deleted') {
      return ec2Error(400, 'NatGatewayNotFound', `The Nat Gateway ${id} was not found`);
    }
    const reply = await ctx.forward(req);
    if (reply.status !== 200 || !nat || nat.deletedAt !== undefined) return reply;
    nat.deletedAt = now();
    ctx.log(`ec2 ${nat.region}: NAT gateway ${id} deleting (deleted in ${ctx.profile.natDeleteMs} ms)`);
    ctx.timers.after(ctx.profile.natDeleteMs, `releasing the association of NAT gateway ${id}`, () =>
      letAddressesGo(nat),
    );
    return reply;
  }

  // A deleted NAT gateway leaves its Elastic IP allocated but no longer associated.
  async function letAddressesGo(nat: NatRecord): Promise<void> {
    if (nat.allocationIds.length === 0) return;
    const ec2 = ctx.moto.ec2(nat.region);
    const found = await ec2
      .send(new DescribeAddressesCommand({ AllocationIds: nat.allocationIds }))
      .catch(() => undefined);
    for (const address of found?.Addresses ?? []) {
      if (address.AssociationId)
        await ec2.send(new DisassociateAddressCommand({ AssociationId: address.AssociationId })).catch(() => undefined);
    }
  }

  async function releaseAddress(req: AwsRequest): Promise<HttpReply> {
    const allocationId = req.form?.get('AllocationId');
    const lag = ctx.addressReleaseLagMs ?? ctx.profile.natDeleteMs;
    const stillHeld = (n: NatRecord) =>
      holds(n) || (n.deletedAt !== undefined && now() < n.deletedAt + ctx.profile.natDeleteMs + lag);
    const holder = [...nats.values()].find(
      (n) => allocationId && n.allocationIds.includes(allocationId) && stillHeld(n),
    );
    if (holder) {
      // What AWS answers while the NAT gateway still holds the address, while it is deleting, and for a while
      // after it reached `deleted` (the address is disassociated, but not yet releasable).
      return ec2Error(400, 'AuthFailure', 'You do not have permission to access the specified resource.');
    }
    return ctx.forward(req);
  }

  const live = (region: string, test: (n: NatRecord) => boolean) =>
    [...nats.values()].some((n) => n.region === region && test(n) && !['deleted', 'failed'].includes(stateOf(n)));

  // A NAT gateway's network interface sits in its subnet until the NAT gateway is deleted.
  async function deleteSubnet(req: AwsRequest): Promise<HttpReply> {
    const subnetId = req.form?.get('SubnetId') ?? '';
    if (live(req.region, (n) => n.subnetId === subnetId)) {
      return ec2Error(400, 'DependencyViolation', `The subnet '${subnetId}' has dependencies and cannot be deleted.`);
    }
    return ctx.forward(req);
  }

  // EC2 refuses to detach the internet gateway while public addresses are mapped in the VPC.
  async function detachInternetGateway(req: AwsRequest): Promise<HttpReply> {
    const vpcId = req.form?.get('VpcId') ?? '';
    if (live(req.region, (n) => n.vpcId === vpcId && n.allocationIds.length > 0)) {
      return ec2Error(
        400,
        'DependencyViolation',
        `Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
      );
    }
    return ctx.forward(req);
  }

  const handlers: Record<string, (req: AwsRequest) => Promise<HttpReply>> = {
    CreateNatGateway: create,
    DescribeNatGateways: describe,
    DeleteNatGateway: remove,
    ReleaseAddress: releaseAddress,
    DeleteSubnet: deleteSubnet,
    DetachInternetGateway: detachInternetGateway,
  };
  return {
    handles: (action) => action in handlers,
    handle: (req) => handlers[req.action](req),
    failNext: (region, failure) => void armed.set(region, failure),
    clear: () => armed.clear(),
  };
}

/** Removes Filter.N (Name=state) from the query and returns the states it asked for. */
function withoutStateFilter(form: URLSearchParams): { form: URLSearchParams; wanted?: string[] } {
  const out = new URLSearchParams();
  const stateIndexes = new Set<string>();
  for (const [k, v] of form) {
    const m = /^Filter\.(\d+)\.Name$/.exec(k);
    if (m && v === 'state') stateIndexes.add(m[1]);
  }
  if (stateIndexes.size === 0) return { form };
  const wanted: string[] = [];
  for (const [k, v] of form) {
    const m = /^Filter\.(\d+)\./.exec(k);
    if (m && stateIndexes.has(m[1])) {
      if (/\.Value\.\d+$/.test(k)) wanted.push(v);
      continue;
    }
    out.append(k, v);
  }
  return { form: out, wanted };
}
