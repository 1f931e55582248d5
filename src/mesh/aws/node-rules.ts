// The ingress rules Calico's cluster mesh needs on the EKS cluster security group (which managed nodes use):
// VXLAN (UDP 4789) from every other cluster's VPC CIDR — by CIDR, since security groups cannot be referenced
// across regions. What Calico needs between the cluster's own nodes and control plane (the API server on 5443,
// 8080, 30000: the blueprint's rules "from the cluster security group") EKS's own rule on that group already
// allows: all traffic from the group itself. Adding them again would only duplicate it (and count against the
// group's 60-rule quota), so only that self rule is checked, and put back if someone removed it.
// The group is EKS's: it goes with the cluster, so there is nothing to remove here.

import type { EC2Client, IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { aws, awsOrMissing, isAwsError } from '../../aws/errors.ts';
import type { ClusterSpec, MeshSpec } from '../../config/spec-types.ts';
import type { Observation, StepOutcome } from '../../steps/step.ts';
import { type ClusterScope, type Health, healthLine } from './common.ts';
import { describeCluster, eksName } from './eks-cluster.ts';

/** Calico's VXLAN port, the one the peers' rules open. */
export const VXLAN_PORT = 4789;

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
        IpRanges: [{ CidrIp: o.vpcCidr, Description: `${VXLAN_DESCRIPTION}${o.name}` }],
      },
    }));
  // EKS's own self rule (covers Calico's 5443, 8080 and 30000 node to node); listed so a group that lost it gets
  // it back, never added beside it.
  const all = { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] };
  rules.push({ label: 'all traffic from the cluster security group (EKS)', vxlan: false, permission: all });
  return rules;
}

const VXLAN_DESCRIPTION = 'meshops: Calico VXLAN from ';

/** The VXLAN rules meshops added for clusters no longer in the spec (their CIDR is no peer's now). */
export function staleVxlanRules(spec: MeshSpec, cluster: ClusterSpec, group: SecurityGroup): IpPermission[] {
  const peers = new Set(spec.clusters.filter((o) => o.name !== cluster.name).map((o) => o.vpcCidr));
  const out: IpPermission[] = [];
  for (const p of group.IpPermissions ?? []) {
    if (p.IpProtocol !== 'udp' || p.FromPort !== VXLAN_PORT || p.ToPort !== VXLAN_PORT) continue;
    const stale = (p.IpRanges ?? []).filter(
      (r) => r.Description?.startsWith(VXLAN_DESCRIPTION) && !peers.has(r.CidrIp ?? ''),
    );
    if (stale.length) out.push({ IpProtocol: 'udp', FromPort: VXLAN_PORT, ToPort: VXLAN_PORT, IpRanges: stale });
  }
  return out;
}

/**
 * True when the group already allows what the rule asks: the same source with the same protocol and ports, or
 * with all traffic (a rule beside an all-traffic rule from the same source would duplicate it).
 */
export function ruleExists(group: SecurityGroup, rule: NodeRule): boolean {
  const want = rule.permission;
  return (group.IpPermissions ?? []).some((p) => {
    if (p.IpProtocol !== '-1') {
      if (p.IpProtocol !== want.IpProtocol) return false;
      if (p.FromPort !== want.FromPort || p.ToPort !== want.ToPort) return false;
    }
    const cidr = want.IpRanges?.[0]?.CidrIp;
    if (cidr) return (p.IpRanges ?? []).some((r) => r.CidrIp === cidr);
    const gid = want.UserIdGroupPairs?.[0]?.GroupId;
    return (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === gid);
  });
}

export async function describeSecurityGroup(ec2: EC2Client, groupId: string): Promise<SecurityGroup | undefined> {
  const out = await awsOrMissing(
    'ec2:DescribeSecurityGroups',
    () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })),
    'InvalidGroup.NotFound',
  );
  return out?.SecurityGroups?.[0];
}

async function clusterGroupId(s: ClusterScope): Promise<string | undefined> {
  const c = await describeCluster(s.deps.aws.eks(s.cluster.region), eksName(s));
  return c?.resourcesVpcConfig?.clusterSecurityGroupId;
}

export async function observe(s: ClusterScope): Promise<Observation> {
  const sgId = await clusterGroupId(s);
  if (!sgId) return { state: 'missing' };
  const sg = await describeSecurityGroup(s.ec2, sgId);
  const rules = desiredNodeRules(s.deps.spec, s.cluster, sgId);
  const have = sg ? rules.filter((r) => ruleExists(sg, r)).length : 0;
  const stale = sg ? staleVxlanRules(s.deps.spec, s.cluster, sg).flatMap((p) => p.IpRanges ?? []) : [];
  const detail = `${have}/${rules.length} rules on ${sgId}${stale.length ? `, ${stale.length} to revoke` : ''}`;
  if (have === rules.length && !stale.length) return { state: 'ok', detail };
  return { state: have === 0 ? 'missing' : 'repair', detail };
}

export async function ensure(s: ClusterScope): Promise<StepOutcome> {
  const sgId = await clusterGroupId(s);
  if (!sgId) throw new Error(`EKS cluster ${eksName(s)} has no cluster security group yet (or is not created yet)`);
  const sg = await describeSecurityGroup(s.ec2, sgId);
  if (!sg) throw new Error(`security group ${sgId} is not visible yet`);
  const added: string[] = [];
  for (const rule of desiredNodeRules(s.deps.spec, s.cluster, sgId)) {
    if (ruleExists(sg, rule)) continue;
    try {
      await aws('ec2:AuthorizeSecurityGroupIngress', () =>
        s.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sgId, IpPermissions: [rule.permission] })),
      );
      added.push(rule.label);
    } catch (err) {
      if (!isAwsError(err, 'InvalidPermission.Duplicate')) throw err;
    }
  }
  // A cluster dropped from the spec must not keep VXLAN access to this one.
  const revoked: string[] = [];
  for (const permission of staleVxlanRules(s.deps.spec, s.cluster, sg)) {
    await aws('ec2:RevokeSecurityGroupIngress', () =>
      s.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sgId, IpPermissions: [permission] })),
    );
    revoked.push(...(permission.IpRanges ?? []).map((r) => `udp ${VXLAN_PORT} from ${r.CidrIp}`));
  }
  const parts = [
    added.length ? `added ${added.join('; ')}` : '',
    revoked.length ? `revoked ${revoked.join('; ')}` : '',
  ];
  return {
    summary: `cluster security group ${sgId}: ${parts.filter(Boolean).join('; ') || 'mesh rules already present'}`,
    changed: added.length + revoked.length > 0,
    resources: { securityGroup: sgId },
  };
}

/** The VXLAN rules from every peer on the cluster's group (status: the one rule a mesh cannot work without). */
export function health(s: ClusterScope, sgId: string | undefined, sg: SecurityGroup | undefined): Health[] {
  if (!sg || !sgId)
    return [healthLine('absent', `VXLAN rule (UDP ${VXLAN_PORT})`, 'the cluster has no security group yet')];
  const vx = desiredNodeRules(s.deps.spec, s.cluster, sgId).filter((r) => r.vxlan);
  const missing = vx.filter((r) => !ruleExists(sg, r)).map((r) => r.label);
  return [
    missing.length
      ? healthLine('failing', `VXLAN rule on ${sgId}`, `missing: ${missing.join('; ')}`)
      : healthLine('ok', `VXLAN rule on ${sgId}`, vx.map((r) => r.label).join('; ')),
  ];
}
