// The one place AWS errors are sorted, from the SDK's own fields (`name`, `$fault`, `$retryable`,
// `$metadata.httpStatusCode`), never from message text or patterns on names: permanent (a person must act:
// grant a permission, raise a quota, fix the spec) or everything else, rethrown as is and retried with backoff.
import { PermanentError } from '../errors.ts';

/** What the SDK says about a failed call. */
export interface AwsErrorFacts {
  /** The error code, e.g. "UnauthorizedOperation", "AccessDeniedException". */
  code: string;
  fault?: 'client' | 'server';
  status?: number;
  /** The SDK marks throttling and transient errors `$retryable`. */
  retryable: boolean;
  throttling: boolean;
}

type SdkError = {
  name?: unknown;
  Code?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
};

function isSdkError(err: unknown): err is SdkError & Error {
  if (!err || typeof err !== 'object') return false;
  const e = err as SdkError;
  return (
    typeof e.name === 'string' && (e.$fault === 'client' || e.$fault === 'server' || typeof e.$metadata === 'object')
  );
}

/** The SDK error itself, also when it was wrapped in a PermanentError by aws(). */
function sdkErrorOf(err: unknown): (SdkError & Error) | undefined {
  if (isSdkError(err)) return err;
  if (err instanceof PermanentError && isSdkError(err.cause)) return err.cause;
  return undefined;
}

export function awsErrorFacts(err: unknown): AwsErrorFacts | undefined {
  const e = sdkErrorOf(err);
  if (!e) return undefined;
  // Some EC2 errors carry the code as `Code` too; `name` is the SDK's own.
  const code = typeof e.Code === 'string' ? e.Code : String(e.name);
  return {
    code,
    fault: e.$fault === 'client' || e.$fault === 'server' ? e.$fault : undefined,
    status: e.$metadata?.httpStatusCode,
    retryable: !!e.$retryable,
    throttling: !!e.$retryable?.throttling || THROTTLING.has(code),
  };
}

/** The error code of an SDK error, seen through a PermanentError made from it. */
export function awsErrorCode(err: unknown): string | undefined {
  return awsErrorFacts(err)?.code;
}

export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/** Throttling codes (some services do not set `$retryable.throttling`). Their names look like limits. */
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
  ServiceQuotaExceededException: 'the service quota named in the message',
  InstanceLimitExceeded: 'Amazon EC2 "Running On-Demand Standard instances" (vCPUs)',
  VcpuLimitExceeded: 'Amazon EC2 "Running On-Demand Standard instances" (vCPUs)',
  InsufficientCapacity: 'capacity in this zone (try another instance type or zone)',
  InsufficientAddressCapacity: 'Elastic IP capacity in this Region',
  InsufficientInstanceCapacity: 'capacity in this zone (try another instance type or zone)',
};

const PERMISSION = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException']);
const CREDENTIALS = new Set([
  'AuthFailure',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
]);
const PARAMETER = new Set([
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'UnsupportedAvailabilityZoneException',
  'ValidationError',
  'MalformedPolicyDocument',
  'MalformedPolicyDocumentException',
]);

type Kind = 'permission' | 'credentials' | 'quota' | 'parameter';

function kindOf(f: AwsErrorFacts): Kind | undefined {
  // Server faults, throttling and anything the SDK itself would retry are transient, whatever their name.
  if (f.throttling || f.retryable || f.fault === 'server' || (f.status !== undefined && f.status >= 500))
    return undefined;
  if (PERMISSION.has(f.code)) return 'permission';
  if (CREDENTIALS.has(f.code)) return 'credentials';
  if (f.code in QUOTAS) return 'quota';
  if (PARAMETER.has(f.code)) return 'parameter';
  return undefined;
}

function hintFor(kind: Kind, code: string, action: string): string {
  switch (kind) {
    case 'permission':
      return `grant ${action} to the IAM identity the meshops worker runs as (see infra/iam/meshops-worker-policy.json)`;
    case 'credentials':
      return 'the worker has no valid AWS credentials: check the role or keys it runs with, and the clock';
    case 'quota':
      return `raise the ${QUOTAS[code]} quota in Service Quotas, or remove unused resources`;
    case 'parameter':
      return code === 'UnsupportedAvailabilityZoneException'
        ? 'name other zones for this cluster in the mesh spec (availabilityZoneIds, e.g. use1-az1), ' +
            'then run /mesh down and /mesh up: the subnets are already in the refused zones'
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
  const facts = awsErrorFacts(err);
  if (!facts) return err;
  const kind = kindOf(facts);
  if (!kind) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new PermanentError(`${action} failed: ${facts.code}: ${detail}`, {
    code: facts.code,
    hint: hintFor(kind, facts.code, action),
    cause: err,
  });
}

/**
 * What AWS answers about a resource made moments ago that has not reached every endpoint yet (EC2 developer
 * guide, "Eventual consistency"; IAM likewise): worth a few more tries before it means "not there".
 */
const SETTLING = new Set([
  'InvalidVpcID.NotFound',
  'InvalidSubnetID.NotFound',
  'InvalidRouteTableID.NotFound',
  'InvalidInternetGatewayID.NotFound',
  'InvalidNatGatewayID.NotFound',
  'NatGatewayNotFound',
  'InvalidAllocationID.NotFound',
  'InvalidVpcPeeringConnectionID.NotFound',
  'InvalidGroup.NotFound',
  'InvalidNetworkInterfaceID.NotFound',
  'NoSuchEntity',
  'NoSuchEntityException',
]);

/** Verbs for which "not found" is the answer itself (already gone), never a resource still settling. */
const GONE_IS_DONE = ['Delete', 'Release', 'Detach', 'Disassociate', 'Revoke', 'Remove'];

/**
 * The bounded backoff for settling resources: about 30 s in all. It starts at 100 ms, the SDK's own base delay:
 * most of the time the lag is shorter than one round trip, and a call that names a resource made a moment ago
 * (a CreateSubnet after its CreateVpc) is on the way to the next create, so the first retry should not wait long.
 */
const SETTLE_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 4_000, 8_000, 14_000];

function settles(action: string): boolean {
  const verb = action.slice(action.indexOf(':') + 1);
  return !GONE_IS_DONE.some((v) => verb.startsWith(v));
}

export interface AwsCallOptions {
  /** Waits between tries while the resource is settling; default SETTLE_DELAYS_MS. */
  settleDelaysMs?: number[];
}

/**
 * Runs one AWS call and classifies its failure: `await aws('ec2:CreateVpc', () => ec2.send(...))`. A call that
 * names a resource made moments ago and is answered NotFound is tried again with backoff (bounded), inside the
 * step, instead of failing the plan.
 */
export async function aws<T>(action: string, call: () => Promise<T>, opts: AwsCallOptions = {}): Promise<T> {
  const delays = settles(action) ? (opts.settleDelaysMs ?? SETTLE_DELAYS_MS) : [];
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const code = awsErrorCode(err);
      if (code && SETTLING.has(code) && attempt < delays.length) {
        await new Promise((r) => setTimeout(r, delays[attempt]));
        continue;
      }
      throw classifyAwsError(err, action);
    }
  }
}

/** Like aws(), but returns undefined when the thing is not there (the codes given). */
export async function awsOrMissing<T>(
  action: string,
  call: () => Promise<T>,
  ...notFound: string[]
): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (isAwsError(err, ...notFound)) return undefined;
    throw classifyAwsError(err, action);
  }
}
