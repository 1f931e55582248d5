// Replace the AWS VPC CNI with Calico: remove aws-node, install the tigera-operator (server-side apply), and
// hand it an Installation for EKS with Calico CNI + IPAM and this cluster's own pod CIDR.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { PermanentError } from '../../../src/errors.ts';
import { applyManifestUrl, applyObjects, fetchManifest, parseManifests } from '../../../src/kube/apply.ts';
import type { KubeClient, KubeObject } from '../../../src/kube/client.ts';
import { renderManifestFile } from '../../../src/kube/template.ts';
import { leaf, type LeafStep, type StepContext } from '../../../src/steps/step.ts';
import { kubeFor, meshLabels } from './common.ts';

export const TIGERA_OPERATOR_NS = 'tigera-operator';
export const PULL_SECRET = 'tigera-pull-secret';

export function installationObjects(deps: Deps, cluster: ClusterSpec): KubeObject[] {
  const objs = renderManifestFile('calico-installation.yaml', {
    mesh: deps.spec.name,
    podCidr: cluster.podCidr,
    encapsulation: deps.spec.calico.encapsulation,
  });
  const installation = objs.find((o) => o.kind === 'Installation')!;
  const spec = installation.spec as Record<string, unknown>;
  if (deps.spec.calico.variant !== 'oss') spec.variant = 'TigeraSecureEnterprise';
  if (deps.spec.calico.variant === 'enterprise') spec.imagePullSecrets = [{ name: PULL_SECRET }];
  return objs;
}

function pullSecret(deps: Deps, dockerConfigJson: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name: PULL_SECRET, namespace: TIGERA_OPERATOR_NS, labels: meshLabels(deps) },
    data: { '.dockerconfigjson': Buffer.from(dockerConfigJson, 'utf8').toString('base64') },
  };
}

/** The LicenseKey Tigera issued, as objects; PermanentError when it is missing or not a manifest. */
export function licenseObjects(deps: Deps): KubeObject[] {
  const text = deps.calico.enterpriseLicense;
  if (!text) {
    throw new PermanentError('Calico Enterprise needs a license key, and none is configured', {
      code: 'CalicoLicenseMissing',
      hint: 'set CALICO_LICENSE_FILE to the LicenseKey YAML Tigera issued (or use `calico.variant: cloud` / `oss`)',
    });
  }
  const objs = parseManifests(text);
  if (!objs.some((o) => o.kind === 'LicenseKey')) {
    throw new PermanentError('the configured Calico license is not a LicenseKey manifest', {
      code: 'CalicoLicenseInvalid',
      hint: 'CALICO_LICENSE_FILE must hold the YAML Tigera issued (kind: LicenseKey)',
    });
  }
  return objs;
}

/** Applies the license when its API is served; false when it must wait for the Calico API server. */
export async function applyLicenseIfServed(client: KubeClient, deps: Deps): Promise<boolean> {
  const objs = licenseObjects(deps);
  for (const o of objs) if (!(await client.resourceFor(o.apiVersion, o.kind))) return false;
  for (const o of objs) await client.apply(o);
  return true;
}

function operatorUrl(deps: Deps, file: string): string {
  const base = deps.spec.calico.manifestBaseUrl.replace(/\/$/, '');
  return `${base}/${deps.spec.calico.version}/manifests/${file}`;
}

async function applyOperator(ctx: StepContext, deps: Deps, client: KubeClient): Promise<number> {
  let applied = 0;
  // operator-crds.yaml exists from Calico 3.30 on; older releases carry the CRDs in tigera-operator.yaml.
  const crdsUrl = operatorUrl(deps, 'operator-crds.yaml');
  let crdsText: string | undefined;
  try {
    crdsText = await fetchManifest(crdsUrl, { signal: ctx.signal });
  } catch (err) {
    if (!/HTTP 404/.test((err as Error).message)) throw err;
  }
  if (crdsText) applied += (await applyObjects(ctx, client.kc, parseManifests(crdsText), { pollIntervalMs: deps.pollIntervalMs })).applied;
  await ctx.checkpoint();
  applied += (await applyManifestUrl(ctx, client.kc, operatorUrl(deps, 'tigera-operator.yaml'), { pollIntervalMs: deps.pollIntervalMs })).applied;
  return applied;
}

async function joinCalicoCloud(ctx: StepContext, deps: Deps, client: KubeClient): Promise<void> {
  const { cloudInstallerUrl, cloudJoinUrl, cloudToken } = deps.calico;
  if (!cloudInstallerUrl || !cloudJoinUrl || !cloudToken) {
    throw new PermanentError('Calico Cloud is selected but its installer URL, join URL or token is not configured', {
      code: 'CalicoCloudConfigMissing',
      hint: 'set CALICO_CLOUD_INSTALLER_URL, CALICO_CLOUD_JOIN_URL and CALICO_CLOUD_TOKEN (from the Calico Cloud "connect cluster" page)',
    });
  }
  await applyManifestUrl(ctx, client.kc, cloudInstallerUrl, { pollIntervalMs: deps.pollIntervalMs });
  await ctx.checkpoint();
  // The join manifest is minted per cluster by Calico Cloud for the bearer of the token.
  const joinText = await fetchManifest(cloudJoinUrl, { headers: { Authorization: `Bearer ${cloudToken}` }, signal: ctx.signal });
  await applyObjects(ctx, client.kc, parseManifests(joinText), { pollIntervalMs: deps.pollIntervalMs });
}

export function cniSwapStep(deps: Deps, cluster: ClusterSpec): LeafStep {
  const variant = deps.spec.calico.variant;
  return leaf(
    `calico/${cluster.name}/install`,
    `${cluster.name}: replace aws-node with Calico ${variant} ${deps.spec.calico.version} (pod CIDR ${cluster.podCidr})`,
    async (ctx) => {
      const client = await kubeFor(deps, cluster);
      // Fail before touching the cluster when Enterprise credentials are missing.
      if (variant === 'enterprise') {
        licenseObjects(deps);
        if (!deps.calico.enterprisePullSecret) {
          throw new PermanentError('Calico Enterprise needs a pull secret for Tigera\'s registry, and none is configured', {
            code: 'CalicoPullSecretMissing',
            hint: 'set CALICO_PULL_SECRET_FILE to the .dockerconfigjson Tigera issued',
          });
        }
      }
      const before = await client.get('operator.tigera.io/v1', 'Installation', 'default').catch(() => undefined);
      const removedAwsNode = await client.delete('apps/v1', 'DaemonSet', 'aws-node', 'kube-system');
      if (removedAwsNode) ctx.note(`${cluster.name}: deleted DaemonSet kube-system/aws-node`);
      await ctx.checkpoint();

      const applied = await applyOperator(ctx, deps, client);
      ctx.note(`${cluster.name}: tigera-operator applied (${applied} objects)`);
      if (variant === 'enterprise') await client.apply(pullSecret(deps, deps.calico.enterprisePullSecret!));
      for (const o of installationObjects(deps, cluster)) await client.apply(o);
      let license = '';
      if (variant === 'enterprise') license = (await applyLicenseIfServed(client, deps)) ? ', license applied' : ', license after the API server is up';
      if (variant === 'cloud') await joinCalicoCloud(ctx, deps, client);

      return {
        summary: `${cluster.name}: ${removedAwsNode ? 'aws-node deleted, ' : ''}tigera-operator ${deps.spec.calico.version} applied (${applied} objects), Installation default (${variant}, pool ${cluster.podCidr} ${deps.spec.calico.encapsulation})${license}`,
        changed: removedAwsNode || !before,
        resources: { installation: 'default', ipPool: cluster.podCidr },
      };
    },
    async () => {
      const client = await kubeFor(deps, cluster);
      const awsNode = await client.get('apps/v1', 'DaemonSet', 'aws-node', 'kube-system');
      const inst = await client.get<{ spec?: { calicoNetwork?: { ipPools?: Array<{ cidr?: string }> } } }>('operator.tigera.io/v1', 'Installation', 'default').catch(() => undefined);
      const pool = inst?.spec?.calicoNetwork?.ipPools?.[0]?.cidr;
      if (!awsNode && inst) return { state: 'exists', detail: `Calico Installation default (pool ${pool ?? '?'}), aws-node gone` };
      if (!inst) return { state: awsNode ? 'missing' : 'partial', detail: awsNode ? 'aws-node still installed, no Calico' : 'no CNI installed yet' };
      return { state: 'partial', detail: 'Calico installed but aws-node still present' };
    },
  );
}
