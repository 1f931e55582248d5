// Which two availability zones a cluster's subnets go to, chosen by zone ID. What AWS does here that surprises
// people:
// - AZ names map to physical zones differently in every account (us-east-1a is not the same place in two
//   accounts); zone IDs (use1-az1) are the same everywhere;
// - EKS refuses cluster subnets in use1-az3, usw1-az2 and cac1-az3 (EKS user guide, network requirements:
//   UnsupportedAvailabilityZoneException), and once the subnets exist the cluster cannot move: choose first;
// - not every zone offers every instance type (DescribeInstanceTypeOfferings, location type availability-zone-id).

import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeAvailabilityZonesCommand, DescribeInstanceTypeOfferingsCommand } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.ts';
import { PermanentError } from '../../errors.ts';
import type { ClusterScope } from './common.ts';

/** Zone IDs EKS does not accept cluster subnets in (EKS user guide, "Network requirements"). */
export const EKS_UNSUPPORTED_ZONE_IDS = ['use1-az3', 'usw1-az2', 'cac1-az3'];

export interface Zone {
  name: string;
  id: string;
}

export async function regionZones(ec2: EC2Client): Promise<Zone[]> {
  const out = await aws('ec2:DescribeAvailabilityZones', () =>
    ec2.send(
      new DescribeAvailabilityZonesCommand({
        Filters: [
          { Name: 'state', Values: ['available'] },
          { Name: 'zone-type', Values: ['availability-zone'] },
        ],
      }),
    ),
  );
  return (out.AvailabilityZones ?? [])
    .filter((z) => z.ZoneName && z.ZoneId)
    .map((z) => ({ name: z.ZoneName!, id: z.ZoneId! }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The zone IDs of the region that offer the instance type. */
export async function zonesOffering(ec2: EC2Client, instanceType: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let NextToken: string | undefined;
  do {
    const out = await aws('ec2:DescribeInstanceTypeOfferings', () =>
      ec2.send(
        new DescribeInstanceTypeOfferingsCommand({
          LocationType: 'availability-zone-id',
          Filters: [{ Name: 'instance-type', Values: [instanceType] }],
          NextToken,
        }),
      ),
    );
    for (const o of out.InstanceTypeOfferings ?? []) if (o.Location) ids.add(o.Location);
    NextToken = out.NextToken;
  } while (NextToken);
  return ids;
}

/** Why a zone cannot hold this cluster's subnets, or undefined when it can. */
function unfit(z: Zone, offered: Set<string>, instanceType: string): string | undefined {
  if (EKS_UNSUPPORTED_ZONE_IDS.includes(z.id)) return `${z.id} (${z.name}) does not take EKS cluster subnets`;
  if (!offered.has(z.id)) return `${z.id} (${z.name}) does not offer ${instanceType}`;
  return undefined;
}

/** What a choice of zones reads: the region's zones, and the zone IDs that offer the node group's instance type. */
export interface ZoneFacts {
  zones: Zone[];
  offered: Set<string>;
}

export async function readZoneFacts(s: ClusterScope): Promise<ZoneFacts> {
  const [zones, offered] = await Promise.all([
    regionZones(s.ec2),
    zonesOffering(s.ec2, s.cluster.nodeGroup.instanceType),
  ]);
  return { zones, offered };
}

/**
 * The two zones for the subnets: the ones subnets already hold (by index), else the spec's (by zone ID or by
 * name, checked), else the first two by name that EKS supports and that offer the node group's instance type.
 */
export async function chooseZones(
  s: ClusterScope,
  held: (string | undefined)[],
  facts: Promise<ZoneFacts> = readZoneFacts(s),
): Promise<[Zone, Zone]> {
  const instanceType = s.cluster.nodeGroup.instanceType;
  const { zones, offered } = await facts;
  const fit = zones.filter((z) => !unfit(z, offered, instanceType));
  const suggestion = `availabilityZoneIds: [${fit
    .slice(0, 2)
    .map((z) => z.id)
    .join(', ')}]`;
  const where = `cluster ${s.cluster.name} (${s.cluster.region})`;
  const byName = (name: string) => zones.find((z) => z.name === name);
  const named = s.cluster.availabilityZoneIds
    ? s.cluster.availabilityZoneIds.map((id) => zones.find((z) => z.id === id) ?? id)
    : s.cluster.availabilityZones?.map((n) => byName(n) ?? n);
  if (named) {
    for (const z of named) {
      const why =
        typeof z === 'string'
          ? `${z} is not a zone of this account in ${s.cluster.region}`
          : unfit(z, offered, instanceType);
      if (why) {
        throw new PermanentError(`${where}: ${why}`, {
          code: 'UnsuitableAvailabilityZone',
          hint: `name zones that fit in the spec, e.g. ${suggestion} (zones here: ${zones.map((x) => `${x.name}=${x.id}`).join(', ')})`,
        });
      }
    }
  }
  const wanted = (named as Zone[] | undefined) ?? fit;
  const picked: Zone[] = [];
  for (const k of [0, 1]) {
    const h = held[k] ? (byName(held[k]!) ?? { name: held[k]!, id: '?' }) : undefined;
    const next = h ?? wanted.find((z) => !picked.some((p) => p.name === z.name) && !held.includes(z.name));
    if (!next) {
      throw new PermanentError(`${where}: fewer than two zones take EKS cluster subnets and offer ${instanceType}`, {
        code: 'UnsuitableAvailabilityZone',
        hint: 'choose another instance type for the node group, or another region',
      });
    }
    picked.push(next);
  }
  return [picked[0]!, picked[1]!];
}
