// The sandbox cloud in one call: moto, the Kubernetes stand-ins' host, and the AWS gateway wired to both.
// The product gets only `awsEnv` (AWS_ENDPOINT_URL and test credentials) and cannot tell it from AWS.
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import type { CallCounter } from './aws/call-counter.ts';
import type { ZoneMapping } from './aws/ec2-zones.ts';
import { authorizingByPrincipal } from './aws/eks-access.ts';
import { makeEksTokenVerifier } from './aws/eks-token-verifier.ts';
import type { Faults } from './aws/faults.ts';
import { type Gateway, startGateway } from './aws/gateway.ts';
import { SANDBOX_CREDENTIALS } from './aws/identity.ts';
import { startMoto } from './aws/moto.ts';
import { type ProfileName, timeProfile } from './aws/profiles.ts';
import { type CalicoCloudService, startCalicoCloudService } from './calico/cloud-service.ts';
import type { ClusterHost, EksTokenVerifier, InstallControllers, TimeProfile } from './contracts.ts';
import { installControllers } from './kube/controllers/index.ts';
import { createClusterHost, type SimClusterHost } from './kube/host.ts';

export interface CloudOptions {
  profile: ProfileName | TimeProfile;
  timeScale?: number;
  /** Controllers inside each cluster stand-in; default: sandbox/kube/controllers. */
  installControllers?: InstallControllers;
  /** Replaces the Kubernetes side (tests of the AWS side alone). */
  clusterHost?: ClusterHost;
  /** Load moto's EC2, IAM and EKS backends before returning, so the first product call is not slow. */
  warmUp?: boolean;
  log?: (line: string) => void;
  /** Log every AWS call the gateway answers (service:action, region, status, duration). */
  logAwsCalls?: boolean;
  /** The account's AZ name -> zone ID mapping per region, e.g. { 'us-east-1': ['use1-az3', 'use1-az1', ...] }. */
  zones?: ZoneMapping;
  /**
   * How long a new EC2 resource answers NotFound when named by ID (eventual consistency). Default: 2 s on the
   * `real` profile (times timeScale), none on `fast`.
   */
  consistencyLagMs?: number;
  /** GuardDuty EKS runtime monitoring: its VPC endpoint and group in every EKS VPC once the cluster is ACTIVE. */
  guardDuty?: boolean;
  /**
   * Whether the AWS Load Balancer Controller is installed in every cluster (default true). false: LoadBalancer
   * Services get Classic ELBs and `k8s-elb-*` groups from the in-tree cloud provider instead.
   */
  loadBalancerController?: boolean;
}

export interface Cloud {
  /** What AWS_ENDPOINT_URL is set to. */
  awsEndpoint: string;
  /** moto itself, without gateway timelines or faults. */
  motoEndpoint: string;
  /** moto's process (and process group) id, for resource measurements. */
  motoPid: number;
  /** Environment for the product: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION. */
  awsEnv: Record<string, string>;
  /** manifestBaseUrl for Calico OSS (…/calico) and Enterprise (…/calico-enterprise). */
  manifestBaseUrl: { oss: string; enterprise: string };
  /** Calico Cloud: its installer and join URLs, a token per managed cluster, and the registry its installers reach. */
  calicoCloud: CalicoCloudService;
  /** The Kubernetes stand-ins (undefined when a clusterHost was given). */
  kube?: SimClusterHost;
  host: ClusterHost;
  gateway: Gateway;
  faults: Faults;
  calls: CallCounter;
  verifyEksToken: EksTokenVerifier;
  profile: TimeProfile;
  stop(): Promise<void>;
}

export async function startCloud(opts: CloudOptions): Promise<Cloud> {
  const log = opts.log ?? (() => {});
  const profile = timeProfile(opts.profile, opts.timeScale ?? 1);
  const moto = await startMoto({ log });
  const cleanups: Array<() => Promise<void>> = [() => moto.stop()];
  try {
    // The gateway's URL is known only once it listens; the stand-ins ask the verifier later, per request.
    let verifier: EksTokenVerifier = async () => ({ ok: false, reason: 'the sandbox AWS gateway is not up yet' });
    const verifyEksToken: EksTokenVerifier = (token, cluster) => verifier(token, cluster);
    const calicoCloud = await startCalicoCloudService();
    cleanups.unshift(() => calicoCloud.stop());
    const kubeHost = opts.clusterHost
      ? undefined
      : createClusterHost({
          verifyEksToken,
          installControllers: opts.installControllers ?? installControllers,
          env: {
            profile,
            motoEndpoint: moto.endpoint,
            loadBalancerController: opts.loadBalancerController,
            calicoCloud,
          },
        });
    if (kubeHost) cleanups.unshift(() => kubeHost.stopAll());
    const host: ClusterHost = kubeHost ?? opts.clusterHost!;
    const gateway = await startGateway({
      motoEndpoint: moto.endpoint,
      host,
      profile,
      log,
      logCalls: opts.logAwsCalls,
      zones: opts.zones,
      guardDuty: opts.guardDuty,
      consistencyLagMs:
        opts.consistencyLagMs ?? (profile.name.startsWith('real') ? Math.round(2_000 * (opts.timeScale ?? 1)) : 0),
    });
    cleanups.unshift(() => gateway.stop());
    verifier = authorizingByPrincipal(gateway.eks, makeEksTokenVerifier(gateway.url));
    if (opts.warmUp ?? true) await warmUp(moto.endpoint);
    log(`sandbox cloud up: AWS at ${gateway.url}, profile ${profile.name}`);
    return {
      awsEndpoint: gateway.url,
      motoEndpoint: moto.endpoint,
      motoPid: moto.pid,
      awsEnv: {
        AWS_ENDPOINT_URL: gateway.url,
        AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
      },
      manifestBaseUrl: {
        oss: `${gateway.url}/manifests/calico`,
        enterprise: `${gateway.url}/manifests/calico-enterprise`,
      },
      calicoCloud,
      kube: kubeHost,
      host,
      gateway,
      faults: gateway.faults,
      calls: gateway.calls,
      verifyEksToken,
      profile,
      stop: () => runAll(cleanups, log),
    };
  } catch (err) {
    await runAll(cleanups, log);
    throw err;
  }
}

/** moto builds its EC2 and IAM backends on first use (seconds each): do it now, not in the product's first call. */
async function warmUp(motoEndpoint: string): Promise<void> {
  const base = { endpoint: motoEndpoint, credentials: SANDBOX_CREDENTIALS, region: 'us-east-1' };
  const ec2 = new EC2Client(base);
  const iam = new IAMClient(base);
  const eks = new EKSClient(base);
  try {
    await Promise.all([
      ec2.send(new DescribeVpcsCommand({})),
      iam.send(new ListRolesCommand({ MaxItems: 1 })),
      eks.send(new ListClustersCommand({})),
    ]);
  } finally {
    ec2.destroy();
    iam.destroy();
    eks.destroy();
  }
}

async function runAll(cleanups: Array<() => Promise<void>>, log: (line: string) => void): Promise<void> {
  for (const cleanup of cleanups.splice(0)) {
    try {
      await cleanup();
    } catch (err) {
      log(`sandbox: cleanup failed: ${(err as Error).message}`);
    }
  }
}
