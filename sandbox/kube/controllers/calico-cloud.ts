// Calico Cloud's installer, as far as joining a cluster goes (calico-cloud/get-started/system-requirements): the
// cluster must already run Calico Open Source. Once the join's Installer (operator.calicocloud.io/v1, calico-cloud/
// default) exists and TigeraStatus calico is Available on the Calico variant, the installer upgrades the cluster:
// the Enterprise CRDs, a license, its pull secret for Tigera's private images, then the Installation's variant to
// TigeraSecureEnterprise; status.state goes installing -> done. A cluster already set to Enterprise fails the join.
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

export class CalicoCloudInstaller implements Reconciler {
  readonly name = 'calico-cloud-installer';

  reconcile(ctx: ControllerContext): void {
    const installer = ctx.store.get('operator.calicocloud.io', 'Installer', 'calico-cloud', 'default');
    if (!installer) return;
    const state = (installer.status as { state?: string } | undefined)?.state;
    if (state === 'done' || state === 'failed') return;
    const setStatus = (status: Record<string, string>) => ctx.patchIfChanged(installer, (o) => (o.status = status));
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
    setStatus({ state: 'done', message: 'cluster connected to Calico Cloud' });
  }
}
