// Calico Cloud's installer (calico-cloud-controller-manager), as far as joining a cluster goes. The cluster must
// already run Calico Open Source (calico-cloud/get-started/system-requirements). Once the installer's Deployment is
// available, the join's api-key Secret exists and an Installer (operator.calicocloud.io/v1) is in calico-cloud, and
// TigeraStatus calico is Available on the Calico variant, it upgrades the cluster: the Enterprise CRDs, a license,
// the pull secret for Tigera's private images, then the Installation's variant to TigeraSecureEnterprise.
// status.state goes installing -> complete, with clusterName and message (get-started/checklist). A cluster already
// set to Enterprise fails the join: the word Calico Cloud uses for a failed state is not documented ("failed" here).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
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
    const clusterName = ctx.handle.placement.name;
    const setStatus = (s: { state: string; message: string }) =>
      ctx.patchIfChanged(installer, (o) => (o.status = { clusterName, resourceVersion: '', ...s }));
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
    setStatus({ state: 'complete', message: '' });
  }
}
