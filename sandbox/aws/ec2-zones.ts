// Availability zones as an account sees them. AZ names map to physical zones (zone IDs) differently in every
// account: a switch (`zones`) sets one account's mapping per region, zone IDs in the order of the names a, b, c...
// DescribeAvailabilityZones, CreateSubnet (also by AvailabilityZoneId) and DescribeSubnets answer by that mapping;
// moto's own mapping is used where none is set. EKS refuses cluster subnets in the zone IDs it does not support
// (EKS user guide, network requirements), with UnsupportedAvailabilityZoneException (see eks-clusters.ts).
// DescribeInstanceTypeOfferings by availability-zone-id answers per physical zone, as moto does already.
import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import type { HttpReply } from './aws-errors.ts';
import { ec2Error } from './aws-errors.ts';
import { elementText, replaceElement, rewriteItems, topLevelItems } from './ec2-xml.ts';
import type { MotoClients } from './moto-clients.ts';
import type { AwsRequest } from './request-info.ts';

/** Zone IDs EKS does not accept cluster subnets in. */
export const EKS_UNSUPPORTED_ZONE_IDS = ['use1-az3', 'usw1-az2', 'cac1-az3'];

/** Per region, the zone IDs of the names `<region>a`, `<region>b`, ... */
export type ZoneMapping = Record<string, string[]>;

export interface ZoneSimulation {
  handles(action: string): boolean;
  handle(req: AwsRequest): Promise<HttpReply>;
  /** The zone ID of an AZ name in this account, undefined when the region has no such zone. */
  zoneIdOf(region: string, name: string): Promise<string | undefined>;
  /** Every AZ name of the region, with its zone ID. */
  zonesOf(region: string): Promise<Array<{ name: string; id: string }>>;
}

/** Parses `us-east-1=use1-az3,use1-az1,...` (several separated by ';' or given as a list). */
export function parseZoneMapping(specs: string[]): ZoneMapping {
  const out: ZoneMapping = {};
  for (const spec of specs.flatMap((s) => s.split(';')).filter((s) => s.trim())) {
    const m = /^\s*([a-z]{2}(?:-[a-z]+)+-\d)\s*=\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*$/.exec(spec);
    if (!m) throw new Error(`--zones takes region=zoneId,zoneId,... like us-east-1=use1-az3,use1-az1; got "${spec}"`);
    const ids = m[2]!.split(',').map((s) => s.trim());
    if (new Set(ids).size !== ids.length) throw new Error(`--zones ${m[1]}: a zone ID is listed twice`);
    out[m[1]!] = ids;
  }
  return out;
}

export function createZoneSimulation(opts: {
  mapping: ZoneMapping;
  moto: MotoClients;
  forward(req: AwsRequest): Promise<HttpReply>;
}): ZoneSimulation {
  const motoZones = new Map<string, Promise<Array<{ name: string; id: string }>>>();
  const fromMoto = (region: string) => {
    let p = motoZones.get(region);
    if (!p) {
      p = opts.moto
        .ec2(region)
        .send(new DescribeAvailabilityZonesCommand({}))
        .then((r) => (r.AvailabilityZones ?? []).map((z) => ({ name: z.ZoneName!, id: z.ZoneId! })));
      p.catch(() => motoZones.delete(region));
      motoZones.set(region, p);
    }
    return p;
  };
  const zonesOf = async (region: string) => {
    const ids = opts.mapping[region];
    if (!ids) return fromMoto(region);
    return ids.map((id, i) => ({ name: `${region}${String.fromCharCode(97 + i)}`, id }));
  };
  const idOf = async (region: string, name: string) => (await zonesOf(region)).find((z) => z.name === name)?.id;

  /** Rewrites each item's zone ID element by its name (only where a mapping is set). */
  const withIds = async (req: AwsRequest, xml: string, setName: string, nameEl: string, idEl: string) => {
    const items = topLevelItems(xml, setName);
    const zones = await zonesOf(req.region);
    const out = items.map((item) => {
      const name = elementText(item.text, nameEl);
      const zone = zones.find((z) => z.name === name);
      // A zone the account does not have is not listed; anything else in it keeps moto's answer.
      if (!zone) return setName === 'availabilityZoneInfo' ? undefined : item.text;
      return replaceElement(item.text, idEl, zone.id);
    });
    return rewriteItems(xml, items, out);
  };

  async function describeZones(req: AwsRequest): Promise<HttpReply> {
    if (!opts.mapping[req.region]) return opts.forward(req);
    // Zone IDs asked for are this account's: answer from the whole list, then keep the ones asked for.
    const form = new URLSearchParams();
    const wantedIds: string[] = [];
    for (const [k, v] of req.form ?? []) {
      if (/^ZoneId\.\d+$/.test(k)) wantedIds.push(v);
      else form.append(k, v);
    }
    const reply = await opts.forward({ ...req, form, body: Buffer.from(form.toString()) });
    if (reply.status !== 200) return reply;
    let xml = await withIds(req, reply.body.toString(), 'availabilityZoneInfo', 'zoneName', 'zoneId');
    if (wantedIds.length) {
      const items = topLevelItems(xml, 'availabilityZoneInfo');
      xml = rewriteItems(
        xml,
        items,
        items.map((i) => (wantedIds.includes(elementText(i.text, 'zoneId') ?? '') ? i.text : undefined)),
      );
    }
    return { ...reply, body: xml };
  }

  async function createSubnet(req: AwsRequest): Promise<HttpReply> {
    if (!opts.mapping[req.region]) return opts.forward(req);
    const form = new URLSearchParams(req.form);
    const byId = form.get('AvailabilityZoneId');
    if (byId) {
      const zone = (await zonesOf(req.region)).find((z) => z.id === byId);
      if (!zone)
        return ec2Error(400, 'InvalidParameterValue', `Value (${byId}) for parameter availabilityZoneId is invalid.`);
      form.delete('AvailabilityZoneId');
      form.set('AvailabilityZone', zone.name);
    }
    const name = form.get('AvailabilityZone');
    if (name && !(await idOf(req.region, name))) {
      return ec2Error(
        400,
        'InvalidParameterValue',
        `Value (${name}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${(await zonesOf(req.region)).map((z) => z.name).join(', ')}.`,
      );
    }
    const reply = await opts.forward({ ...req, form, body: Buffer.from(form.toString()) });
    if (reply.status !== 200) return reply;
    const xml = reply.body.toString();
    const zoneName = elementText(xml, 'availabilityZone');
    const id = zoneName ? await idOf(req.region, zoneName) : undefined;
    return { ...reply, body: id ? replaceElement(xml, 'availabilityZoneId', id) : xml };
  }

  async function describeSubnets(req: AwsRequest): Promise<HttpReply> {
    const reply = await opts.forward(req);
    if (reply.status !== 200 || !opts.mapping[req.region]) return reply;
    return {
      ...reply,
      body: await withIds(req, reply.body.toString(), 'subnetSet', 'availabilityZone', 'availabilityZoneId'),
    };
  }

  const handlers: Record<string, (req: AwsRequest) => Promise<HttpReply>> = {
    DescribeAvailabilityZones: describeZones,
    CreateSubnet: createSubnet,
    DescribeSubnets: describeSubnets,
  };
  return {
    handles: (action) => action in handlers,
    handle: (req) => handlers[req.action]!(req),
    zoneIdOf: idOf,
    zonesOf,
  };
}
