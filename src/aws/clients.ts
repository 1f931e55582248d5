// One SDK client per region and service, built once per worker. Credentials and endpoints come from the SDK's
// default chain (env, profile, IMDS/IRSA; AWS_ENDPOINT_URL works by itself), so the same code talks to AWS or
// to a local stand-in without knowing which.
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsClients } from '../deps.ts';
import { instrumentAwsClient } from '../metrics/aws.ts';

export interface AwsClientOptions {
  /** Attempts per call, including the first; throttling and 5xx are retried with backoff. */
  maxAttempts?: number;
  /** 'adaptive' also rate-limits the client when AWS throttles it. */
  retryMode?: 'standard' | 'adaptive';
  /**
   * An attempt is given up (TimeoutError, which the SDK retries as transient) once it has taken this long, request
   * and answer, or connecting alone has taken 10 s. The SDK's default is to wait for ever.
   */
  callTimeoutMs?: number;
  /** Explicit endpoint and credentials, for tools and tests that do not use the environment. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** IAM is global; its signing region is us-east-1 in the commercial partition. */
const IAM_REGION = 'us-east-1';

export function makeAwsClients(opts: AwsClientOptions = {}): AwsClients {
  const common = {
    maxAttempts: opts.maxAttempts ?? 6,
    retryMode: opts.retryMode ?? 'standard',
    requestHandler: {
      connectionTimeout: Math.min(opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, 10_000),
      requestTimeout: opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      // Without it the handler only logs a warning when the time is up, and goes on waiting.
      throwOnRequestTimeout: true,
    },
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
  const ec2 = new Map<string, EC2Client>();
  const eks = new Map<string, EKSClient>();
  const elbv2 = new Map<string, ElasticLoadBalancingV2Client>();
  const elb = new Map<string, ElasticLoadBalancingClient>();
  let iam: IAMClient | undefined;
  let sts: STSClient | undefined;
  return {
    ec2(region) {
      let c = ec2.get(region);
      if (!c) ec2.set(region, (c = instrumentAwsClient(new EC2Client({ ...common, region }), 'ec2', region)));
      return c;
    },
    eks(region) {
      let c = eks.get(region);
      if (!c) eks.set(region, (c = instrumentAwsClient(new EKSClient({ ...common, region }), 'eks', region)));
      return c;
    },
    elbv2(region) {
      let c = elbv2.get(region);
      if (!c) {
        c = instrumentAwsClient(
          new ElasticLoadBalancingV2Client({ ...common, region }),
          'elasticloadbalancing',
          region,
        );
        elbv2.set(region, c);
      }
      return c;
    },
    elb(region) {
      let c = elb.get(region);
      if (!c) {
        c = instrumentAwsClient(new ElasticLoadBalancingClient({ ...common, region }), 'elasticloadbalancing', region);
        elb.set(region, c);
      }
      return c;
    },
    iam() {
      return (iam ??= instrumentAwsClient(new IAMClient({ ...common, region: IAM_REGION }), 'iam', 'global'));
    },
    sts() {
      // Regional STS (the SDK's default); the worker's own region is fine for GetCallerIdentity.
      return (sts ??= new STSClient({ ...common, region: IAM_REGION }));
    },
  };
}
