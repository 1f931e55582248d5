// moto's DescribeVpcPeeringConnections ignores filters; EC2 applies them. The gateway asks moto for all
// and keeps what the filters select (status-code, requester/accepter vpc-id, cidr-block, owner-id, tags).
// Peerings that end `rejected` or `expired` on demand (failNext, for tests): from the create on, both regions
// read that status with EC2's message, and AcceptVpcPeeringConnection is refused as EC2 refuses it.
import type { HttpReply } from './aws-errors.ts';
import { ec2Error } from './aws-errors.ts';
import { type Ec2Filter, matchesAny, readFilters, withoutFilters } from './ec2-filters.ts';
import { elementText, rewriteItems, topLevelItems } from './ec2-xml.ts';
import { SANDBOX_ACCOUNT_ID } from './identity.ts';
import type { AwsRequest } from './request-info.ts';

const SUPPORTED =
  /^(status-code|status-message|vpc-peering-connection-id|tag-key|tag:.+|(requester|accepter)-vpc-info\.(vpc-id|cidr-block|owner-id))$/;

export type PeeringFailure = 'rejected' | 'expired';

const MESSAGES: Record<PeeringFailure, string> = {
  rejected: `Rejected by ${SANDBOX_ACCOUNT_ID}`,
  expired: 'Expired',
};

export interface PeeringSimulation {
  handles(action: string): boolean;
  handle(req: AwsRequest): Promise<HttpReply>;
  /** The next peering requested ends in this status before anyone can accept it. */
  failNext(status: PeeringFailure): void;
  clear(): void;
}

export function createPeeringSimulation(forward: (req: AwsRequest) => Promise<HttpReply>): PeeringSimulation {
  const failed = new Map<string, PeeringFailure>();
  let armed: PeeringFailure | undefined;

  async function create(req: AwsRequest): Promise<HttpReply> {
    const reply = await forward(req);
    const id = reply.status === 200 ? elementText(reply.body.toString(), 'vpcPeeringConnectionId') : undefined;
    if (id && armed) {
      failed.set(id, armed);
      armed = undefined;
    }
    return reply;
  }

  async function accept(req: AwsRequest): Promise<HttpReply> {
    const id = req.form?.get('VpcPeeringConnectionId') ?? '';
    const status = failed.get(id);
    if (status) {
      return ec2Error(
        400,
        'InvalidStateTransition',
        `Invalid state transition for ${id}, attempted to transition from ${status} to active`,
      );
    }
    return forward(req);
  }

  const handlers: Record<string, (req: AwsRequest) => Promise<HttpReply>> = {
    CreateVpcPeeringConnection: create,
    AcceptVpcPeeringConnection: accept,
    DescribeVpcPeeringConnections: (req) => describePeerings(req, forward, failed),
  };
  return {
    handles: (action) => action in handlers,
    handle: (req) => handlers[req.action](req),
    failNext: (status) => {
      armed = status;
    },
    clear: () => {
      armed = undefined;
    },
  };
}

async function describePeerings(
  req: AwsRequest,
  forward: (req: AwsRequest) => Promise<HttpReply>,
  failed: Map<string, PeeringFailure>,
): Promise<HttpReply> {
  const filters = readFilters(req.form ?? new URLSearchParams());
  if (filters.length === 0 && failed.size === 0) return forward(req);
  const unknown = filters.find((f) => !SUPPORTED.test(f.name));
  if (unknown) return ec2Error(400, 'InvalidParameterValue', `The filter '${unknown.name}' is invalid`);
  const form = withoutFilters(req.form!);
  const reply = await forward({ ...req, form, body: Buffer.from(form.toString()) });
  if (reply.status !== 200) return reply;
  const xml = reply.body.toString();
  const items = topLevelItems(xml, 'vpcPeeringConnectionSet');
  const kept = items.map((item) => {
    const status = failed.get(lastElement(item.text, 'vpcPeeringConnectionId') ?? '');
    const text = status ? withStatus(item.text, status) : item.text;
    return filters.every((f) => selects(text, f)) ? text : undefined;
  });
  return { ...reply, body: rewriteItems(xml, items, kept) };
}

function withStatus(item: string, status: PeeringFailure): string {
  return item.replace(
    /<status>[\s\S]*?<\/status>/,
    `<status><code>${status}</code><message>${MESSAGES[status]}</message></status>`,
  );
}

function selects(item: string, f: Ec2Filter): boolean {
  const section = (name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(item)?.[1] ?? '';
  const tags = [...item.matchAll(/<item><key>([^<]*)<\/key><value>([^<]*)<\/value><\/item>/g)].map((m) => ({
    key: m[1],
    value: m[2],
  }));
  if (f.name === 'status-code') return matchesAny([elementText(section('status'), 'code')], f.values);
  if (f.name === 'status-message') return matchesAny([elementText(section('status'), 'message')], f.values);
  if (f.name === 'vpc-peering-connection-id')
    return matchesAny([lastElement(item, 'vpcPeeringConnectionId')], f.values);
  if (f.name === 'tag-key')
    return matchesAny(
      tags.map((t) => t.key),
      f.values,
    );
  if (f.name.startsWith('tag:'))
    return matchesAny(
      tags.filter((t) => t.key === f.name.slice(4)).map((t) => t.value),
      f.values,
    );
  const m = /^(requester|accepter)-vpc-info\.(vpc-id|cidr-block|owner-id)$/.exec(f.name)!;
  const info = section(`${m[1]}VpcInfo`);
  const field = { 'vpc-id': 'vpcId', 'cidr-block': 'cidrBlock', 'owner-id': 'ownerId' }[m[2]]!;
  return matchesAny([elementText(info, field)], f.values);
}

function lastElement(xml: string, name: string): string | undefined {
  const all = [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))];
  return all.at(-1)?.[1];
}
