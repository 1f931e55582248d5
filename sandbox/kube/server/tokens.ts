// Bound service-account tokens from the TokenRequest API (`kubectl create token`, serviceaccounts/token):
// valid until they expire or their ServiceAccount is deleted.
import { randomBytes } from 'node:crypto';
import type { UserInfo } from '../../contracts.ts';
import type { KubeObject, ObjectStore } from '../store.ts';
import { serviceAccountUser } from './service-accounts.ts';

const DEFAULT_EXPIRATION_S = 3600;
const MIN_EXPIRATION_S = 600;

interface Issued {
  namespace: string;
  name: string;
  uid: string;
  expires: number;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

export class TokenIssuer {
  private readonly issued = new Map<string, Issued>();

  /** Answers a TokenRequest for a ServiceAccount that exists. */
  issue(sa: KubeObject, request: KubeObject, audience: string): KubeObject {
    const spec = (request['spec'] ?? {}) as { audiences?: string[]; expirationSeconds?: number };
    const seconds = Math.max(MIN_EXPIRATION_S, spec.expirationSeconds ?? DEFAULT_EXPIRATION_S);
    const now = Math.floor(Date.now() / 1000);
    const namespace = sa.metadata.namespace ?? '';
    const subject = `system:serviceaccount:${namespace}:${sa.metadata.name}`;
    // Shaped like a JWT so clients that peek at it are not surprised; the signature is random, not verifiable.
    const token = [
      b64url(JSON.stringify({ alg: 'RS256', kid: 'sandbox' })),
      b64url(
        JSON.stringify({
          aud: spec.audiences?.length ? spec.audiences : [audience],
          exp: now + seconds,
          iat: now,
          iss: audience,
          sub: subject,
        }),
      ),
      b64url(randomBytes(32)),
    ].join('.');
    for (const [t, v] of this.issued) if (v.expires <= Date.now()) this.issued.delete(t);
    this.issued.set(token, {
      namespace,
      name: sa.metadata.name,
      uid: sa.metadata.uid ?? '',
      expires: (now + seconds) * 1000,
    });
    return {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {
        name: sa.metadata.name,
        namespace,
        creationTimestamp: new Date(now * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      spec: {
        audiences: spec.audiences?.length ? spec.audiences : [audience],
        expirationSeconds: seconds,
        boundObjectRef: null,
      },
      status: { token, expirationTimestamp: new Date((now + seconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z') },
    };
  }

  /** The user a token stands for, while it is unexpired and its ServiceAccount is the one it was issued for. */
  verify(store: ObjectStore, token: string): UserInfo | undefined {
    const entry = this.issued.get(token);
    if (!entry || entry.expires <= Date.now()) return undefined;
    const sa = store.get('', 'ServiceAccount', entry.namespace, entry.name);
    if (!sa || sa.metadata.uid !== entry.uid) return undefined;
    return serviceAccountUser(entry.namespace, entry.name);
  }
}
