// KubeAccess: a KubeConfig per cluster built in memory from DescribeCluster (endpoint + CA) and an EKS token
// that renews itself. Nothing is written to disk, and the token never leaves the process.
import { DescribeClusterCommand, type DescribeClusterCommandOutput } from '@aws-sdk/client-eks';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { KubeConfig } from '@kubernetes/client-node';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { eksClusterName } from '../aws/tags.ts';
import type { ClusterSpec, MeshSpec } from '../config/spec-types.ts';
import type { AwsClients, KubeAccess } from '../deps.ts';
import { PermanentError } from '../errors.ts';
import { lastAnswer } from './answered.ts';
import { type EksToken, mintEksToken } from './eks-token.ts';

/** Rebuild well before the 15-minute token lifetime (a recreated cluster is caught by its endpoint, below). */
export const KUBECONFIG_MAX_AGE_MS = 10 * 60_000;
/**
 * A KubeConfig whose API server answered this recently, or an endpoint EKS described this recently, is used without
 * asking EKS again: the cluster is still there at that endpoint, since deleting an EKS cluster takes minutes and a
 * cluster made again gets a new endpoint. The steps of a job ask one after another (a wait, then the step it
 * unblocks), each with a DescribeCluster before.
 */
export const ANSWERED_RECENTLY_MS = 5_000;
const AUTH_PROVIDER = 'meshops-eks-token';

/** client-node's Authenticator interface (not exported by the package). */
export type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

export interface KubeAccessOptions {
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  stsEndpoint?: string;
  now?: () => number;
  /** Mint a new token when the current one is this old (default 10 minutes; EKS accepts 15). */
  tokenMaxAgeMs?: number;
}

export interface ClusterEndpoint {
  eksName: string;
  endpoint: string;
  /** base64 of the PEM, as DescribeCluster gives it (and as kubeconfig's certificate-authority-data wants it). */
  caData: string;
}

export async function describeEndpoint(
  aws: AwsClients,
  spec: MeshSpec,
  cluster: ClusterSpec,
): Promise<ClusterEndpoint> {
  const eksName = eksClusterName(spec.name, cluster.name);
  let out: DescribeClusterCommandOutput;
  try {
    out = await aws.eks(cluster.region).send(new DescribeClusterCommand({ name: eksName }));
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') {
      throw new PermanentError(`EKS cluster ${eksName} does not exist in ${cluster.region}`, {
        code: 'ResourceNotFoundException',
        hint: 'run `/mesh up` first',
        cause: err,
      });
    }
    throw err;
  }
  const c = out.cluster;
  if (!c?.endpoint || !c.certificateAuthority?.data) {
    throw new Error(`EKS cluster ${eksName} has no endpoint yet (status ${c?.status ?? 'unknown'})`);
  }
  return { eksName, endpoint: c.endpoint, caData: c.certificateAuthority.data };
}

/** The endpoint and CA a KubeConfig from buildKubeConfig holds: what DescribeCluster said when it was built. */
export function endpointOfKubeConfig(kc: KubeConfig): ClusterEndpoint {
  const c = kc.getCurrentCluster();
  if (!c?.server || !c.caData) throw new Error('the KubeConfig has no current cluster with a server and CA');
  return { eksName: c.name, endpoint: c.server, caData: c.caData };
}

/** An in-memory KubeConfig whose user is authenticated by `authenticate` on every request. */
export function buildKubeConfig(ep: ClusterEndpoint, authenticator: Authenticator): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: ep.eksName, server: ep.endpoint, caData: ep.caData, skipTLSVerify: false }],
    users: [{ name: 'meshops', authProvider: { name: AUTH_PROVIDER, config: {} } }],
    contexts: [{ name: ep.eksName, cluster: ep.eksName, user: 'meshops' }],
    currentContext: ep.eksName,
  });
  kc.addAuthenticator(authenticator);
  return kc;
}

/** Puts a fresh EKS token on each request; mints a new one when the current one is ~10 minutes old. */
export function eksTokenAuthenticator(
  mint: () => Promise<EksToken>,
  now: () => number,
  maxAgeMs = KUBECONFIG_MAX_AGE_MS,
): Authenticator {
  let current: EksToken | undefined;
  let pending: Promise<EksToken> | undefined;
  return {
    isAuthProvider: (user) => user.authProvider?.name === AUTH_PROVIDER,
    async applyAuthentication(_user, opts) {
      if (!current || now() - current.issuedAt >= maxAgeMs) {
        pending ??= mint().finally(() => (pending = undefined));
        current = await pending;
      }
      opts.headers = { ...(opts.headers ?? {}), Authorization: `Bearer ${current.token}` };
    },
  };
}

export function makeKubeAccess(aws: AwsClients, spec: MeshSpec, opts: KubeAccessOptions = {}): KubeAccess {
  const now = opts.now ?? Date.now;
  // One credential chain for all clusters: it caches what it resolved (IMDS, web identity) until expiry.
  const credentials = opts.credentials ?? defaultProvider();
  const cache = new Map<string, { kc: KubeConfig; builtAt: number; endpoint: string; caData: string }>();
  // Askers at the same moment share one DescribeCluster (a plan's observation has every Kubernetes step ask).
  const asking = new Map<string, Promise<ClusterEndpoint>>();
  const told = new Map<string, { ep: ClusterEndpoint; at: number }>();
  const endpointOf = (key: string, cluster: ClusterSpec): Promise<ClusterEndpoint> => {
    let ask = asking.get(key);
    if (!ask) {
      ask = describeEndpoint(aws, spec, cluster).finally(() => asking.delete(key));
      asking.set(key, ask);
    }
    return ask;
  };
  return {
    async forCluster(cluster) {
      const key = `${cluster.region}/${cluster.name}`;
      const cached = cache.get(key);
      const hit = cached && now() - cached.builtAt < KUBECONFIG_MAX_AGE_MS ? cached : undefined;
      const answered = hit ? lastAnswer(hit.kc) : undefined;
      if (hit && answered !== undefined && now() - answered < ANSWERED_RECENTLY_MS) return hit.kc;
      // Else asked (or just told): a cluster deleted and made again (down, then up) has a new endpoint and CA at once.
      const heard = told.get(key);
      const ep = heard && now() - heard.at < ANSWERED_RECENTLY_MS ? heard.ep : await endpointOf(key, cluster);
      if (hit && hit.endpoint === ep.endpoint && hit.caData === ep.caData) return hit.kc;
      const auth = eksTokenAuthenticator(
        () =>
          mintEksToken({
            clusterName: ep.eksName,
            region: cluster.region,
            credentials,
            stsEndpoint: opts.stsEndpoint,
            now: now(),
          }),
        now,
        opts.tokenMaxAgeMs,
      );
      const kc = buildKubeConfig(ep, auth);
      cache.set(key, { kc, builtAt: now(), endpoint: ep.endpoint, caData: ep.caData });
      return kc;
    },
    heard(cluster, { endpoint, caData }) {
      const eksName = eksClusterName(spec.name, cluster.name);
      told.set(`${cluster.region}/${cluster.name}`, { ep: { eksName, endpoint, caData }, at: now() });
    },
  };
}
