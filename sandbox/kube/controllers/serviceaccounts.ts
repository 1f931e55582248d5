// The service-account controllers: a `default` ServiceAccount and the kube-root-ca.crt ConfigMap in every
// namespace, and the legacy token controller that fills kubernetes.io/service-account-token Secrets.
import { randomBytes, randomUUID } from 'node:crypto';
import type { KubeObject } from '../store.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { b64 } from './util.ts';

const tokenType = 'kubernetes.io/service-account-token';
const saNameAnnotation = 'kubernetes.io/service-account.name';
const saUidAnnotation = 'kubernetes.io/service-account.uid';

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** A token shaped like the ones kube-controller-manager signs (header.payload.signature). */
export function makeServiceAccountJwt(namespace: string, secretName: string, saName: string, saUid: string): string {
  const header = { alg: 'RS256', kid: randomBytes(20).toString('base64url') };
  const payload = {
    iss: 'kubernetes/serviceaccount',
    'kubernetes.io/serviceaccount/namespace': namespace,
    'kubernetes.io/serviceaccount/secret.name': secretName,
    'kubernetes.io/serviceaccount/service-account.name': saName,
    'kubernetes.io/serviceaccount/service-account.uid': saUid,
    sub: `system:serviceaccount:${namespace}:${saName}`,
    jti: randomUUID(),
  };
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${b64url(randomBytes(256))}`;
}

export class ServiceAccountController implements Reconciler {
  readonly name = 'serviceaccounts';
  reconcile(ctx: ControllerContext): void {
    for (const ns of ctx.store.list('', 'Namespace')) {
      if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating' || ns.metadata.deletionTimestamp)
        continue;
      const name = ns.metadata.name;
      ctx.ensure({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
      ctx.ensure({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'kube-root-ca.crt',
          namespace: name,
          annotations: {
            'kubernetes.io/description':
              'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
          },
        },
        data: { 'ca.crt': ctx.handle.caPem },
      });
    }
    for (const secret of ctx.store.list('', 'Secret')) {
      if (secret.type !== tokenType) continue;
      this.fillToken(ctx, secret);
    }
  }

  private fillToken(ctx: ControllerContext, secret: KubeObject): void {
    const ns = secret.metadata.namespace!;
    const saName = secret.metadata.annotations?.[saNameAnnotation];
    if (!saName) return;
    const sa = ctx.store.get('', 'ServiceAccount', ns, saName);
    const boundUid = secret.metadata.annotations?.[saUidAnnotation];
    if (!sa) {
      // kube-controller-manager's token controller deletes a token whose ServiceAccount it cannot find (a live
      // lookup on a cache miss), bound or not: a token Secret made before its ServiceAccount is gone at once
      // (kubernetes pkg/controller/serviceaccount/tokens_controller.go, syncSecret).
      ctx.deleteIfExists('', 'Secret', ns, secret.metadata.name);
      return;
    }
    if (boundUid && boundUid !== sa.metadata.uid) {
      ctx.deleteIfExists('', 'Secret', ns, secret.metadata.name);
      return;
    }
    const data = (secret.data ?? {}) as Record<string, string>;
    if (data.token && data['ca.crt'] && data.namespace && boundUid) return;
    ctx.patchIfChanged(secret, (o) => {
      const d = { ...((o.data ?? {}) as Record<string, string>) };
      d.token ??= b64(makeServiceAccountJwt(ns, o.metadata.name, saName, sa.metadata.uid ?? ''));
      d['ca.crt'] = b64(ctx.handle.caPem);
      d.namespace = b64(ns);
      o.data = d;
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [saUidAnnotation]: sa.metadata.uid ?? '' };
    });
  }
}
