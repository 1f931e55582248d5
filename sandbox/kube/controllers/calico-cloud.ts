// Calico Cloud's installer (calico-cloud-controller-manager), as far as joining a cluster goes. The cluster must
// already run Calico Open Source (calico-cloud/get-started/system-requirements). Once the installer's Deployment is
// available, the join's api-key Secret exists and an Installer (operator.calicocloud.io/v1) is in calico-cloud, and
// TigeraStatus calico is Available on the Calico variant, it upgrades the cluster: the Enterprise CRDs, a license,
// the pull secret for Tigera's private images, then the Installation's variant to TigeraSecureEnterprise.
// status.state goes installing -> complete, with clusterName and message (get-started/checklist). A cluster already
// set to Enterprise fails the join: the word Calico Cloud uses for a failed state is not documented ("failed" here).
// First it registers with Calico Cloud with the join's api-key, which names the managed cluster (status.clusterName)
// or is refused when another live cluster is connected with it; last it writes what connects the cluster to the
// management plane: the ManagementClusterConnection tigera-secure (managementClusterAddr, as the operator checklist
// shows it) and guardian's tunnel Secret tigera-managed-cluster-connection in tigera-operator, which the operator's
// clusterconnection controller (cluster-connection.ts) turns into guardian.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Registration } from '../../calico/cloud-service.ts';
import type { KubeObject } from '../store.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { installationSpec } from './tigera-operator.ts';

const ENTERPRISE_DIR = new URL('../../calico/enterprise/', import.meta.url);

/** Calico Enterprise's CRDs (they replace Open Source's), from the newest Enterprise release in sandbox/calico/enterprise. */
function enterpriseCrds(): KubeObject[] {
  const versions = readdirSync(ENTERPRISE_DIR).filter((v) =>
    existsSync(new URL(`${v}/manifests/operator-crds.yaml`, ENTERPRISE_DIR)),
  );
  const newest = versions.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).at(-1);
  if (!newest) return [];
  const text = readFileSync(new URL(`${newest}/manifests/operator-crds.yaml`, ENTERPRISE_DIR), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && o.kind === 'CustomResourceDefinition');
}

function calicoAvailable(ctx: ControllerContext): boolean {
  const ts = ctx.store.get('operator.tigera.io', 'TigeraStatus', undefined, 'calico');
  const conds = (ts?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conds.some((c) => c.type === 'Available' && c.status === 'True');
}

const NS = 'calico-cloud';

/** The installer runs only once its manager is up and the join has put the cluster's api-key in place. */
function installerRunning(ctx: ControllerContext): boolean {
  const manager = ctx.store.get('apps', 'Deployment', NS, 'calico-cloud-controller-manager');
  const ready = (manager?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
  return ready > 0 && !!ctx.store.get('', 'Secret', NS, 'api-key');
}

export class CalicoCloudInstaller implements Reconciler {
  readonly name = 'calico-cloud-installer';

  reconcile(ctx: ControllerContext): void {
    if (!installerRunning(ctx)) return;
    for (const installer of ctx.store.list('operator.calicocloud.io', 'Installer', NS)) this.install(ctx, installer);
  }

  private install(ctx: ControllerContext, installer: KubeObject): void {
    const state = (installer.status as { state?: string } | undefined)?.state;
    if (state === 'complete' || state === 'failed') return;
    const registered = this.register(ctx);
    const clusterName = registered.ok ? registered.clusterName : '';
    const setStatus = (s: { state: string; message: string }) =>
      ctx.patchIfChanged(installer, (o) => (o.status = { clusterName, resourceVersion: '', ...s }));
    if (!registered.ok) {
      setStatus({ state: 'failed', message: registered.message });
      return;
    }
    const inst = ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    const variant = installationSpec(inst).variant ?? 'Calico';
    if (inst && variant !== 'Calico') {
      setStatus({
        state: 'failed',
        message: `Calico Cloud connects a cluster that runs Calico Open Source; this Installation is set to ${variant}`,
      });
      return;
    }
    if (!inst || !calicoAvailable(ctx)) {
      setStatus({
        state: 'installing',
        message: 'waiting for Calico Open Source to be Available (TigeraStatus calico)',
      });
      return;
    }
    for (const crd of enterpriseCrds()) {
      const live = ctx.ensure(crd);
      ctx.patchIfChanged(live, (o) => (o.spec = crd.spec));
    }
    ctx.ensure({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: { name: 'tigera-pull-secret', namespace: 'tigera-operator' },
      data: {
        '.dockerconfigjson': Buffer.from('{"auths":{"quay.io":{"auth":"Y2FsaWNvLWNsb3Vk"}}}').toString('base64'),
      },
    });
    if (
      ctx.store.get('apiextensions.k8s.io', 'CustomResourceDefinition', undefined, 'licensekeys.crd.projectcalico.org')
    ) {
      ctx.ensure({
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'LicenseKey',
        metadata: { name: 'default' },
        spec: { token: 'calico-cloud.license', certificate: 'cc' },
      });
    }
    ctx.patchIfChanged(inst, (o) => {
      const spec = o.spec as { variant?: string; imagePullSecrets?: Array<{ name: string }> };
      spec.variant = 'TigeraSecureEnterprise';
      spec.imagePullSecrets = [{ name: 'tigera-pull-secret' }];
    });
    ctx.ensure({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'tigera-managed-cluster-connection', namespace: 'tigera-operator' },
      data: {
        'management-cluster.crt': Buffer.from('sandbox voltron CA').toString('base64'),
        'managed-cluster.crt': Buffer.from(`sandbox ${clusterName} cert`).toString('base64'),
        'managed-cluster.key': Buffer.from(`sandbox ${clusterName} key`).toString('base64'),
      },
    });
    ctx.ensure({
      apiVersion: 'operator.tigera.io/v1',
      kind: 'ManagementClusterConnection',
      metadata: { name: 'tigera-secure' },
      spec: { managementClusterAddr: registered.managementClusterAddr },
    });
    setStatus({ state: 'complete', message: '' });
  }

  /** The installer's registration with Calico Cloud, with the api-key the join put in calico-cloud/api-key. */
  private register(ctx: ControllerContext): Registration {
    const secret = ctx.store.get('', 'Secret', NS, 'api-key');
    const encoded = (secret?.data as { apiKey?: string } | undefined)?.apiKey;
    const apiKey = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    if (!ctx.env.calicoCloud) return { ok: false, message: 'cannot reach Calico Cloud to register the cluster' };
    const { region, name } = ctx.handle.placement;
    return ctx.env.calicoCloud.register(apiKey, { id: `${region}/${name}`, live: () => !ctx.isStopped });
  }
}
