// The ingress rules Calico's cluster mesh needs on the EKS cluster security group (which managed nodes use):
// VXLAN (UDP 4789) from every other cluster's VPC CIDR — by CIDR, since security groups cannot be referenced
// across regions — and the Calico API server (5443), 8080 and 30000 from the group itself, plus node-to-node.
import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import type { ClusterSpec, MeshSpec } from '../config/spec-types.ts';

export const VXLAN_PORT = 4789;
const SELF_TCP_PORTS = [5443, 8080, 30000];

export interface NodeRule {
  /** For summaries and status: "udp 4789 from 10.1.0.0/16 (pdx)". */
  label: string;
  permission: IpPermission;
  vxlan: boolean;
}

export function desiredNodeRules(spec: MeshSpec, cluster: ClusterSpec, groupId: string): NodeRule[] {
  const rules: NodeRule[] = spec.clusters
    .filter((o) => o.name !== cluster.name)
    .map((o) => ({
      label: `udp ${VXLAN_PORT} from ${o.vpcCidr} (${o.name})`,
      vxlan: true,
      permission: {
        IpProtocol: 'udp',
        FromPort: VXLAN_PORT,
        ToPort: VXLAN_PORT,
        IpRanges: [{ CidrIp: o.vpcCidr, Description: `meshops: Calico VXLAN from ${o.name}` }],
      },
    }));
  for (const port of SELF_TCP_PORTS) {
    rules.push({
      label: `tcp ${port} from the cluster security group`,
      vxlan: false,
      permission: { IpProtocol: 'tcp', FromPort: port, ToPort: port, UserIdGroupPairs: [{ GroupId: groupId, Description: 'meshops: Calico' }] },
    });
  }
  // EKS adds this itself; listed so a group that lost it gets it back.
  rules.push({ label: 'all traffic node to node', vxlan: false, permission: { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] } });
  return rules;
}

/** True when the group already allows what the rule asks (same protocol and ports, and the source present). */
export function ruleExists(group: SecurityGroup, rule: NodeRule): boolean {
  const want = rule.permission;
  return (group.IpPermissions ?? []).some((p) => {
    if (p.IpProtocol !== want.IpProtocol) return false;
    if (want.IpProtocol !== '-1' && (p.FromPort !== want.FromPort || p.ToPort !== want.ToPort)) return false;
    const cidr = want.IpRanges?.[0]?.CidrIp;
    if (cidr) return (p.IpRanges ?? []).some((r) => r.CidrIp === cidr);
    const gid = want.UserIdGroupPairs?.[0]?.GroupId;
    return (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === gid);
  });
}
