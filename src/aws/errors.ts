// Sorts AWS errors into the two kinds the pipeline understands: permanent (a person must act: grant a
// permission, raise a quota, fix the spec) and everything else, rethrown as is and retried with backoff.
import { PermanentError } from '../errors.ts';

/** The error code of an SDK error ("UnauthorizedOperation", "AccessDeniedException"), if it is one. */
export function awsErrorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { name?: unknown; Code?: unknown; code?: unknown; $metadata?: unknown };
  // SDK v3 errors carry the code as `name`; some also as `Code`.
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string') return e.code;
  return undefined;
}

export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/** Throttling codes whose names look like limits but are only "slow down". */
const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/** Which quota to raise, by the code AWS gives when it is reached. */
const QUOTAS: Record<string, string> = {
  VpcLimitExceeded: 'Amazon VPC "VPCs per Region"',
  AddressLimitExceeded: 'Amazon EC2 "EC2-VPC Elastic IPs"',
  NatGatewayLimitExceeded: 'Amazon VPC "NAT gateways per Availability Zone"',
  InternetGatewayLimitExceeded: 'Amazon VPC "Internet gateways per Region"',
  SubnetLimitExceeded: 'Amazon VPC "Subnets per VPC"',
  RouteTableLimitExceeded: 'Amazon VPC "Route tables per VPC"',
  RouteLimitExceeded: 'Amazon VPC "Routes per route table"',
  RulesPerSecurityGroupLimitExceeded: 'Amazon VPC "Inbound or outbound rules per security group"',
  SecurityGroupLimitExceeded: 'Amazon VPC "VPC security groups per Region"',
  VpcPeeringConnectionLimitExceeded: 'Amazon VPC "Active VPC peering connections per VPC"',
  ResourceLimitExceededException: 'Amazon EKS "Clusters" or "Managed node groups per cluster"',
  LimitExceeded: 'IAM "Roles per account" or "Managed policies per role"',
  LimitExceededException: 'the service quota named in the message',
  InstanceLimitExceeded: 'Amazon EC2 "Running On-Demand Standard instances" (vCPUs)',
  VcpuLimitExceeded: 'Amazon EC2 "Running On-Demand Standard instances" (vCPUs)',
};

type Kind = 'permission' | 'credentials' | 'quota' | 'parameter';

function kindOf(code: string): Kind | undefined {
  if (THROTTLING.has(code)) return undefined;
  if (/^AccessDenied/.test(code) || code === 'UnauthorizedOperation' || code === 'UnauthorizedException') return 'permission';
  if (code === 'AuthFailure' || code === 'InvalidClientTokenId' || code === 'UnrecognizedClientException' || code === 'SignatureDoesNotMatch' || code === 'ExpiredToken' || code === 'ExpiredTokenException') return 'credentials';
  if (/LimitExceeded/.test(code) || /Quota/i.test(code) || code === 'InsufficientCapacity' || code === 'InsufficientAddressCapacity') return 'quota';
  if (/^InvalidParameter/.test(code) || code === 'UnsupportedAvailabilityZoneException' || code === 'ValidationError' || code === 'MalformedPolicyDocument') return 'parameter';
  return undefined;
}

function hintFor(kind: Kind, code: string, action: string): string {
  switch (kind) {
    case 'permission':
      return `grant ${action} to the IAM identity the meshops worker runs as (see infra/iam/meshops-worker-policy.json)`;
    case 'credentials':
      return 'the worker has no valid AWS credentials: check the role or keys it runs with, and the clock';
    case 'quota':
      return QUOTAS[code]
        ? `raise the ${QUOTAS[code]} quota in Service Quotas, or remove unused resources`
        : 'raise the quota named in the message in Service Quotas, or remove unused resources';
    case 'parameter':
      return code === 'UnsupportedAvailabilityZoneException'
        ? 'choose other availabilityZones for this cluster in the mesh spec (the message lists the ones EKS supports)'
        : 'a value sent to AWS is not accepted: check the mesh spec (CIDRs, versions, instance types, AZs)';
  }
}

/**
 * Turns an AWS error into a PermanentError when no retry can fix it; returns any other error unchanged (the
 * caller rethrows it, and the pipeline retries it as transient).
 * `action` is the IAM action of the call, e.g. "ec2:CreateNatGateway": it names the permission to grant.
 */
export function classifyAwsError(err: unknown, action: string): unknown {
  if (err instanceof PermanentError) return err;
  const code = awsErrorCode(err);
  if (!code) return err;
  const kind = kindOf(code);
  if (!kind) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new PermanentError(`${action} failed: ${code}: ${detail}`, { code, hint: hintFor(kind, code, action), cause: err });
}

/** Runs one AWS call and classifies its failure: `await aws('ec2:CreateVpc', () => ec2.send(new CreateVpcCommand(...)))`. */
export async function aws<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, action);
  }
}

/** Like aws(), but returns undefined when the thing is not there (the codes given). */
export async function awsOrMissing<T>(action: string, call: () => Promise<T>, ...notFound: string[]): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (isAwsError(err, ...notFound)) return undefined;
    throw classifyAwsError(err, action);
  }
}
