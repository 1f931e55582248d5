// moto's DescribeVpcPeeringConnections ignores filters; EC2 applies them. The gateway asks moto for all
// and keeps what the filters select (status-code, requester/accepter vpc-id, cidr-block, owner-id, tags).
import type { HttpReply } from './aws-errors.ts';
import { ec2Error } from './aws-errors.ts';
import { type Ec2Filter, matchesAny, readFilters, withoutFilters } from './ec2-filters.ts';
import { elementText, rewriteItems, topLevelItems } from './ec2-xml.ts';
import type { AwsRequest } from './request-info.ts';

const SUPPORTED =
  /^(status-code|status-message|vpc-peering-connection-id|tag-key|tag:.+|(requester|accepter)-vpc-info\.(vpc-id|cidr-block|owner-id))$/;

export async function describePeerings(
  req: AwsRequest,
  forward: (req: AwsRequest) => Promise<HttpReply>,
): Promise<HttpReply> {
  const filters = readFilters(req.form ?? new URLSearchParams());
  if (filters.length === 0) return forward(req);
  const unknown = filters.find((f) => !SUPPORTED.test(f.name));
  if (unknown) return ec2Error(400, 'InvalidParameterValue', `The filter '${unknown.name}' is invalid`);
  const form = withoutFilters(req.form!);
  const reply = await forward({ ...req, form, body: Buffer.from(form.toString()) });
  if (reply.status !== 200) return reply;
  const xml = reply.body.toString();
  const items = topLevelItems(xml, 'vpcPeeringConnectionSet');
  const kept = items.map((item) => (filters.every((f) => selects(item.text, f)) ? item.text : undefined));
  return { ...reply, body: rewriteItems(xml, items, kept) };
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
