// Bearer-token authentication: EKS tokens (asked of the AWS side) and service-account token Secrets.
import type { EksTokenVerifier, UserInfo } from '../../contracts.ts';
import type { ObjectStore } from '../store.ts';
import { serviceAccountUser } from './service-accounts.ts';
import type { TokenIssuer } from './tokens.ts';

const EKS_PREFIX = 'k8s-aws-v1.';
const EKS_CACHE_MS = 60_000;

export type Authenticator = (authorization: string | undefined) => Promise<UserInfo | undefined>;

/** The ServiceAccount a token Secret stands for, when the Secret and its ServiceAccount both exist. */
function findServiceAccountToken(store: ObjectStore, token: string): UserInfo | undefined {
  for (const secret of store.list('', 'Secret')) {
    if (secret['type'] !== 'kubernetes.io/service-account-token') continue;
    const data = secret['data'] as Record<string, string> | undefined;
    if (!data?.['token']) continue;
    if (Buffer.from(data['token'], 'base64').toString('utf8') !== token) continue;
    const namespace = secret.metadata.namespace ?? '';
    const saName = secret.metadata.annotations?.['kubernetes.io/service-account.name'];
    if (!saName || !store.get('', 'ServiceAccount', namespace, saName)) return undefined;
    return serviceAccountUser(namespace, saName);
  }
  return undefined;
}

export function createAuthenticator(opts: {
  store: ObjectStore;
  clusterName: string;
  verifyEksToken: EksTokenVerifier;
  tokens: TokenIssuer;
}): Authenticator {
  const eksCache = new Map<string, { user: UserInfo; until: number }>();
  return async (authorization) => {
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    if (!m) return undefined;
    const token = m[1]!.trim();
    if (token.startsWith(EKS_PREFIX)) {
      const now = Date.now();
      const cached = eksCache.get(token);
      if (cached && cached.until > now) return cached.user;
      const verdict = await opts.verifyEksToken(token, opts.clusterName);
      if (!verdict.ok) return undefined;
      // EKS maps the cluster creator to kubernetes-admin in system:masters.
      const user: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
      for (const [k, v] of eksCache) if (v.until <= now) eksCache.delete(k);
      eksCache.set(token, { user, until: now + EKS_CACHE_MS });
      return user;
    }
    return opts.tokens.verify(opts.store, token) ?? findServiceAccountToken(opts.store, token);
  };
}
