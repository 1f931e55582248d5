// What installing Calico puts into a cluster: the operator's manifests (fetched, applied server-side), the
// Installation for EKS, and for Enterprise its pull secret and license; for Calico Cloud the installer and join.
import { eksClusterName } from '../../aws/tags.ts';
import { cloudTokenVariable } from '../../config/cloud-tokens.ts';
import type { ClusterSpec } from '../../config/spec-types.ts';
import { type Deps, kubePollMs } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import { applyManifestUrl, applyObjects, fetchManifest, parseManifestsOnce } from '../../kube/apply.ts';
import type { KubeApi, KubeObject } from '../../kube/client.ts';
import { parseManifests } from '../../kube/manifests.ts';
import { renderManifestFile } from '../../kube/template.ts';
import type { StepContext } from '../../steps/step.ts';
import { meshLabels, TIGERA_OPERATOR_NS } from './names.ts';
import { TYPHA_METRICS_PORT } from './typha.ts';

export const PULL_SECRET = 'tigera-pull-secret';
/** The pod MTU every Installation carries: 8500 across an inter-Region VPC peering, less VXLAN's 50 bytes. */
export const CALICO_MTU = 8450;
/** What Calico sets when the Installation names none: the node's 9001-byte ENI (m5) less VXLAN's 50. */
export const AUTO_DETECTED_MTU = 8951;

export function installationObjects(deps: Deps, cluster: ClusterSpec): KubeObject[] {
  const objs = renderManifestFile('calico-installation.yaml', {
    mesh: deps.spec.name,
    podCidr: cluster.podCidr,
    encapsulation: deps.spec.calico.encapsulation,
    mtu: CALICO_MTU,
    typhaMetricsPort: TYPHA_METRICS_PORT,
  });
  const installation = objs.find((o) => o.kind === 'Installation')!;
  const spec = installation.spec as Record<string, unknown>;
  // Calico Cloud joins a cluster that runs Calico Open Source (variant Calico); its installer upgrades it.
  if (deps.spec.calico.variant === 'enterprise') {
    spec.variant = 'TigeraSecureEnterprise';
    spec.imagePullSecrets = [{ name: PULL_SECRET }];
  }
  return objs;
}

export function pullSecret(deps: Deps, dockerConfigJson: string): KubeObject {
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

/** Fails before touching the cluster when Enterprise credentials are missing. */
export function requireEnterpriseCredentials(deps: Deps): void {
  licenseObjects(deps);
  if (!deps.calico.enterprisePullSecret) {
    throw new PermanentError("Calico Enterprise needs a pull secret for Tigera's registry, and none is configured", {
      code: 'CalicoPullSecretMissing',
      hint: 'set CALICO_PULL_SECRET_FILE to the .dockerconfigjson Tigera issued',
    });
  }
}

/** Applies the license when its API is served; false when it must wait for the Calico API server. */
export async function applyLicenseIfServed(client: KubeApi, deps: Deps): Promise<boolean> {
  const objs = licenseObjects(deps);
  for (const o of objs) if (!(await client.resourceFor(o.apiVersion, o.kind))) return false;
  for (const o of objs) await client.apply(o);
  return true;
}

export function operatorUrl(deps: Deps, file: string): string {
  const base = deps.spec.calico.manifestBaseUrl.replace(/\/$/, '');
  return `${base}/${deps.spec.calico.version}/manifests/${file}`;
}

async function fetchOptional(url: string): Promise<string | undefined> {
  try {
    return await fetchManifest(url);
  } catch (err) {
    if (!/HTTP 404/.test((err as Error).message)) throw err;
    return undefined;
  }
}

/**
 * The install manifests fetched lately, by URL: `up` downloads them while the control planes come up (the
 * prefetch step), and every cluster's install then takes the same text (one download, one parse: the Enterprise
 * CRDs are 3.9 MB). A failed download is forgotten at once; a good one after a while, so that a changed release
 * behind the same URL is fetched again. No job's signal: a cancelled job must not fail another's download.
 */
const fetched = new Map<string, { at: number; text: Promise<string | undefined> }>();
const FETCH_KEPT_MS = 15 * 60_000;
const FETCH_KEPT = 8;

function fetchOnce(url: string, optional: boolean): Promise<string | undefined> {
  const hit = fetched.get(url);
  if (hit && Date.now() - hit.at < FETCH_KEPT_MS) return hit.text;
  const text = optional ? fetchOptional(url) : fetchManifest(url);
  if (fetched.size >= FETCH_KEPT) fetched.delete(fetched.keys().next().value!);
  fetched.set(url, { at: Date.now(), text });
  text.catch(() => {
    if (fetched.get(url)?.text === text) fetched.delete(url);
  });
  return text;
}

/**
 * Downloads and parses the release's install manifests ahead of the install (which then finds them ready): a
 * release that does not exist fails here, before any cluster is made. Returns how many files and objects.
 */
export async function prefetchOperator(deps: Deps): Promise<{ files: string[]; objects: number }> {
  const settled = await Promise.allSettled(
    operatorFiles(deps).map(async ({ file, optional }) => {
      const text = await fetchOnce(operatorUrl(deps, file), !!optional);
      return { file, objects: text ? (await parseManifestsOnce(text)).length : undefined };
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const found = settled.map((r) => (r as PromiseFulfilledResult<{ file: string; objects?: number }>).value);
  const present = found.filter((f) => f.objects !== undefined);
  return { files: present.map((f) => f.file), objects: present.reduce((a, f) => a + f.objects!, 0) };
}

interface OperatorFile {
  file: string;
  /** Absent on 404 is fine (see each reason). */
  optional?: boolean;
}

/**
 * The install manifests, in the order Tigera's EKS instructions apply them, all from
 * `<manifestBaseUrl>/<version>/manifests/<file>`: Calico Open Source from projectcalico (operator-crds.yaml exists
 * from 3.30 on; older releases carry the CRDs in tigera-operator.yaml), Calico Enterprise from downloads.tigera.io/ee.
 */
export function operatorFiles(deps: Deps): OperatorFile[] {
  if (deps.spec.calico.variant !== 'enterprise') {
    return [{ file: 'operator-crds.yaml', optional: true }, { file: 'tigera-operator.yaml' }];
  }
  return [
    { file: 'operator-crds.yaml' },
    { file: 'tigera-operator.yaml' },
    { file: 'tigera-prometheus-operator.yaml' },
  ];
}

/** The operator's CRDs and the operator itself, server-side; returns how many objects were applied. */
export async function applyOperator(ctx: StepContext, deps: Deps, client: KubeApi): Promise<number> {
  const opts = { pollIntervalMs: kubePollMs(deps) };
  let applied = 0;
  // In order, each file once per process for a while (the prefetch has usually fetched them already).
  for (const { file, optional } of operatorFiles(deps)) {
    const text = await fetchOnce(operatorUrl(deps, file), !!optional);
    if (text) applied += (await applyObjects(ctx, client, await parseManifestsOnce(text), opts)).applied;
    await ctx.checkpoint();
  }
  return applied;
}

/**
 * Calico Cloud's join for one cluster: the installer manifest, then the manifest Calico Cloud mints for the bearer
 * of that cluster's token (its "Connect Cluster" command is generated for one cluster name, so each cluster has
 * its own token, CALICO_CLOUD_TOKEN_<CLUSTER>).
 */
export async function joinCalicoCloud(
  ctx: StepContext,
  deps: Deps,
  client: KubeApi,
  cluster: ClusterSpec,
): Promise<void> {
  const { cloudInstallerUrl, cloudJoinUrl } = deps.calico;
  const token = deps.calico.cloudTokens?.[cluster.name];
  if (!cloudInstallerUrl || !cloudJoinUrl || !token) {
    const missing = [
      ...(cloudInstallerUrl ? [] : ['CALICO_CLOUD_INSTALLER_URL']),
      ...(cloudJoinUrl ? [] : ['CALICO_CLOUD_JOIN_URL']),
      ...(token ? [] : [cloudTokenVariable(cluster.name)]),
    ];
    throw new PermanentError(`Calico Cloud is selected but ${missing.join(', ')} is not configured`, {
      code: 'CalicoCloudConfigMissing',
      hint:
        `set ${missing.join(' and ')} from Calico Cloud's Managed Clusters page (Connect Cluster, Cluster Name ` +
        `${eksClusterName(deps.spec.name, cluster.name)}: the command it generates holds both URLs and the token)`,
    });
  }
  await applyManifestUrl(ctx, client, cloudInstallerUrl, { pollIntervalMs: kubePollMs(deps) });
  await ctx.checkpoint();
  const headers = { Authorization: `Bearer ${token}` };
  const joinText = await fetchManifest(cloudJoinUrl, { headers, signal: ctx.signal });
  await applyObjects(ctx, client, parseManifests(joinText), { pollIntervalMs: kubePollMs(deps) });
}
