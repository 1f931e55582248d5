// The tigera-operator's clusterconnection controller (tigera/operator v1.42.4,
// pkg/controller/clusterconnection): for the ManagementClusterConnection `tigera-secure` of an Enterprise
// Installation it copies guardian's tunnel Secret tigera-managed-cluster-connection from tigera-operator and runs
// guardian (Deployment calico-system/guardian, container tigera-guardian, GUARDIAN_VOLTRON_URL the
// managementClusterAddr), and reports TigeraStatus management-cluster-connection: degraded with the operator's
// "Error retrieving secrets from operator namespace" while the Secret is missing, progressing until guardian is
// available, then Available. The TigeraStatus is deleted when no ManagementClusterConnection exists (OnCRNotFound).
import type { KubeObject } from '../store.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { isEnterprise } from './tigera-operator.ts';
import { setTigeraStatus } from './tigera-status.ts';
import { ownerRef } from './util.ts';

const STATUS = 'management-cluster-connection';
const TUNNEL_SECRET = 'tigera-managed-cluster-connection';
const NS = 'calico-system';
const NAME = 'guardian';

/** Guardian's image: Enterprise's registry, at the version calico-node runs. */
function guardianImage(ctx: ControllerContext): string {
  const node = ctx.store.get('apps', 'DaemonSet', NS, 'calico-node');
  const spec = node?.spec as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined;
  const tag = (spec?.template?.spec?.containers?.[0]?.image ?? '').split(':')[1] ?? 'latest';
  return `quay.io/tigera/guardian:${tag}`;
}

function guardianObjects(ctx: ControllerContext, mcc: KubeObject, secret: KubeObject): KubeObject[] {
  const owner = [ownerRef(mcc)];
  const addr = (mcc.spec as { managementClusterAddr?: string } | undefined)?.managementClusterAddr ?? '';
  const labels = { 'k8s-app': NAME, 'app.kubernetes.io/name': NAME };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, namespace: NS, ownerReferences: owner } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: secret.type ?? 'Opaque',
      metadata: { name: TUNNEL_SECRET, namespace: NS, ownerReferences: owner },
      data: secret.data,
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: NAME, namespace: NS, labels, ownerReferences: owner },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'k8s-app': NAME } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: NAME,
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            imagePullSecrets: [{ name: 'tigera-pull-secret' }],
            containers: [
              {
                name: 'tigera-guardian',
                image: guardianImage(ctx),
                env: [{ name: 'GUARDIAN_VOLTRON_URL', value: addr }],
              },
            ],
          },
        },
      },
    },
  ];
}

export class ClusterConnectionController implements Reconciler {
  readonly name = 'tigera-operator-clusterconnection';

  reconcile(ctx: ControllerContext): void {
    const inst = ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    if (!isEnterprise(inst)) return;
    const mcc = ctx.store.get('operator.tigera.io', 'ManagementClusterConnection', undefined, 'tigera-secure');
    if (!mcc) {
      ctx.deleteIfExists('operator.tigera.io', 'TigeraStatus', undefined, STATUS);
      return;
    }
    const gen = mcc.metadata.generation ?? 1;
    const secret = ctx.store.get('', 'Secret', 'tigera-operator', TUNNEL_SECRET);
    if (!secret) {
      const message = `Error retrieving secrets from operator namespace: secrets "${TUNNEL_SECRET}" not found`;
      setTigeraStatus(ctx, STATUS, 'degraded', 'ResourceReadError', message, gen);
      return;
    }
    if (!ctx.store.get('', 'Namespace', undefined, NS)) {
      setTigeraStatus(ctx, STATUS, 'progressing', 'ResourceNotReady', `Waiting for namespace ${NS}`, gen);
      return;
    }
    for (const obj of guardianObjects(ctx, mcc, secret)) {
      const live = ctx.ensure(obj);
      ctx.patchIfChanged(live, (o) => {
        if (obj.spec !== undefined) o.spec = { ...(o.spec as object), ...(obj.spec as object) };
        if (obj.data !== undefined) o.data = obj.data;
      });
    }
    const d = ctx.store.get('apps', 'Deployment', NS, NAME);
    const have = (d?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
    if (have < 1) {
      const message = `Deployment "${NS}/${NAME}" is not available (awaiting 1 replicas)`;
      setTigeraStatus(ctx, STATUS, 'progressing', 'ResourceNotReady', message, gen);
      return;
    }
    setTigeraStatus(ctx, STATUS, 'available', '', '', gen);
  }
}
