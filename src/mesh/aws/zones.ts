// Which two availability zones a cluster's subnets go to.
import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.ts';
import type { ClusterScope } from './common.ts';

/** Two AZ names: the ones subnets already hold (`held`, by index), else the spec's, else the first two by name. */
export async function chooseZones(s: ClusterScope, held: (string | undefined)[]): Promise<[string, string]> {
  const spec = s.cluster.availabilityZones;
  let pick: string[];
  if (spec && spec.length >= 2) pick = spec;
  else {
    const out = await aws('ec2:DescribeAvailabilityZones', () =>
      s.ec2.send(
        new DescribeAvailabilityZonesCommand({
          Filters: [
            { Name: 'state', Values: ['available'] },
            { Name: 'zone-type', Values: ['availability-zone'] },
          ],
        }),
      ),
    );
    pick = (out.AvailabilityZones ?? []).map((z) => z.ZoneName!).filter(Boolean).sort();
    if (pick.length < 2) throw new Error(`the region offers ${pick.length} availability zone(s); EKS needs two`);
  }
  return [held[0] ?? pick[0]!, held[1] ?? pick[1]!];
}
