// The tigera-operator: while its own pod runs, it validates Installation `default` as the real operator does
// on EKS, renders calico-system after profile.calicoReadyMs, renders calico-apiserver for APIServer `default`
// (registering the projectcalico.org/v3 API when it is up) and keeps TigeraStatus truthful.
import type { ApiResourceDef } from '../../contracts.ts';
import type { KubeObject } from '../store.ts';
import type { AwsReads } from './aws-reads.ts';
import type { PoolSpec } from './calico-render.ts';
import {
  calicoImages,
  ipPoolName,
  renderApiServer,
  renderCalicoSystem,
  renderFelixConfiguration,
  renderIpPool,
} from './calico-render.ts';
import { operatorLine, startupLines } from './log-format.ts';
import { isPodRunning, podSpec } from './pod-status.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { mergeRendered, stableStringify } from './runtime.ts';
import { setTigeraStatus } from './tigera-status.ts';
import { cidrsOverlap, isValidCidr } from './util.ts';

export interface InstallationSpec {
  variant?: string;
  kubernetesProvider?: string;
  registry?: string;
  cni?: { type?: string; ipam?: { type?: string } };
  calicoNetwork?: { bgp?: string; ipPools?: PoolSpec[] };
}

const encapsulations = ['VXLAN', 'VXLANCrossSubnet', 'IPIP', 'IPIPCrossSubnet', 'None'];

/** Calico (OSS, Enterprise) versions each operator release installs. */
const operatorReleases: Record<string, { calico: string; enterprise: string }> = {
  'v1.42': { calico: 'v3.32.1', enterprise: 'v3.23.1' },
  'v1.40': { calico: 'v3.31.7', enterprise: 'v3.22.2' },
  'v1.39': { calico: 'v3.30.5', enterprise: 'v3.21.4' },
  'v1.38': { calico: 'v3.29.6', enterprise: 'v3.20.5' },
};

const ossV3Resources: Array<[string, string, boolean]> = [
  ['FelixConfiguration', 'felixconfigurations', false],
  ['IPPool', 'ippools', false],
  ['IPReservation', 'ipreservations', false],
  ['BGPConfiguration', 'bgpconfigurations', false],
  ['BGPPeer', 'bgppeers', false],
  ['ClusterInformation', 'clusterinformations', false],
  ['GlobalNetworkPolicy', 'globalnetworkpolicies', false],
  ['GlobalNetworkSet', 'globalnetworksets', false],
  ['HostEndpoint', 'hostendpoints', false],
  ['KubeControllersConfiguration', 'kubecontrollersconfigurations', false],
  ['NetworkPolicy', 'networkpolicies', true],
  ['NetworkSet', 'networksets', true],
  ['Profile', 'profiles', false],
  ['Tier', 'tiers', false],
];

function v3(kind: string, plural: string, namespaced: boolean): ApiResourceDef {
  return { group: 'projectcalico.org', version: 'v3', kind, plural, singular: kind.toLowerCase(), namespaced };
}

/** FelixConfiguration fields only Calico Enterprise's API server knows (file-based flow, DNS and L7 logs). */
export const enterpriseOnlyFelixFields = [
  'flowLogsFileEnabled',
  'flowLogsFileIncludeLabels',
  'flowLogsFileIncludePolicies',
  'flowLogsFileIncludeService',
  'flowLogsFileAggregationKindForAllowed',
  'flowLogsFileAggregationKindForDenied',
  'flowLogsFileDirectory',
  'flowLogsFileMaxFiles',
  'flowLogsFileMaxFileSizeMB',
  'flowLogsEnableHostEndpoint',
  'flowLogsEnableNetworkSets',
  'dnsLogsFileEnabled',
  'dnsLogsFlushInterval',
  'l7LogsFileEnabled',
];

/**
 * The open-source Calico API server decodes strictly: Enterprise-only fields are unknown to it. Returned as an
 * extra `validate` property on the registered FelixConfiguration resource, for an API server that honours it
 * (the ApiResourceDef contract has no validation hook yet); also used by tests.
 */
export function validateOssFelixConfiguration(obj: { spec?: unknown }): string | undefined {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const unknown = enterpriseOnlyFelixFields.filter((f) => Object.hasOwn(spec, f));
  if (unknown.length === 0) return undefined;
  return `FelixConfiguration in version "v3" cannot be handled as a FelixConfiguration: strict decoding error: ${unknown
    .map((f) => `unknown field "spec.${f}"`)
    .join(', ')}`;
}

export function installationSpec(inst: KubeObject | undefined): InstallationSpec {
  return (inst?.spec ?? {}) as InstallationSpec;
}

export function isEnterprise(inst: KubeObject | undefined): boolean {
  return installationSpec(inst).variant === 'TigeraSecureEnterprise';
}

export function hasLicense(ctx: ControllerContext): boolean {
  const lk =
    ctx.store.get('projectcalico.org', 'LicenseKey', undefined, 'default') ??
    ctx.store.get('crd.projectcalico.org', 'LicenseKey', undefined, 'default');
  const spec = lk?.spec as { token?: string; certificate?: string } | undefined;
  return !!spec?.token;
}

/** Calico is the CNI only with cni.type Calico; on EKS the operator otherwise defaults to the VPC CNI. */
export function calicoIsCni(inst: KubeObject | undefined): boolean {
  return installationSpec(inst).cni?.type === 'Calico';
}

export class TigeraOperator implements Reconciler {
  readonly name = 'tigera-operator';
  private readonly aws: AwsReads;
  private validKey = '';
  private validSince = 0;
  private rendered = false;
  private lastError = '';
  private readonly loggedPods = new Set<string>();
  private readonly registered = new Set<string>();

  constructor(aws: AwsReads) {
    this.aws = aws;
  }

  reconcile(ctx: ControllerContext): void {
    this.writeStartupLogs(ctx);
    const operatorPod = this.operatorPod(ctx);
    if (!operatorPod) return; // no operator running: nothing reconciles (what exists stays as it is)
    const inst = ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    if (!inst) {
      // Installation deleted: the operator tears Calico down (the garbage collector removes what it owned).
      if (this.rendered || this.validKey) {
        this.rendered = false;
        this.validKey = '';
        for (const name of ['calico', 'ippools'])
          ctx.deleteIfExists('operator.tigera.io', 'TigeraStatus', undefined, name);
      }
      return;
    }
    const log = (msg: string, fields: Record<string, unknown> = {}, level = 'info') =>
      ctx.handle.logs.append(
        'tigera-operator',
        operatorPod.metadata.name,
        operatorLine('controller_installation', msg, fields, level),
      );

    const problem = this.validate(ctx, inst);
    if (problem === 'pending') return;
    const gen = inst.metadata.generation ?? 1;
    if (problem) {
      if (problem.message !== this.lastError) {
        this.lastError = problem.message;
        log('Error querying installation', { error: problem.message, reason: problem.reason }, 'error');
      }
      setTigeraStatus(ctx, 'calico', 'degraded', problem.reason, problem.message, gen);
      if (problem.pool) setTigeraStatus(ctx, 'ippools', 'degraded', problem.reason, problem.message, gen);
      this.writeInstallationStatus(ctx, inst, false);
      this.reconcileApiServer(ctx, inst, false);
      return;
    }
    this.lastError = '';
    const key = stableStringify(inst.spec);
    const now = ctx.now();
    if (key !== this.validKey) {
      this.validKey = key;
      this.validSince = now;
      log('Reconciling Installation.operator.tigera.io', { 'Request.Name': 'default' });
    }
    const renderAt = this.validSince + ctx.env.profile.calicoReadyMs;
    if (now < renderAt && !this.rendered) {
      ctx.wakeAt(renderAt);
      setTigeraStatus(
        ctx,
        'calico',
        'progressing',
        'ResourceNotReady',
        'Waiting for calico-system to be rendered',
        gen,
      );
      setTigeraStatus(ctx, 'ippools', 'progressing', 'ResourceNotReady', 'Waiting for IP pools to be created', gen);
      this.reconcileApiServer(ctx, inst, false);
      return;
    }
    if (now < renderAt) ctx.wakeAt(renderAt);
    else this.render(ctx, inst);
    const state = this.componentsState(ctx);
    const enterprise = isEnterprise(inst);
    if (state) setTigeraStatus(ctx, 'calico', 'progressing', 'ResourceNotReady', state, gen);
    else if (enterprise && !hasLicense(ctx))
      setTigeraStatus(
        ctx,
        'calico',
        'degraded',
        'ResourceNotFound',
        'License not found: Calico Enterprise needs a LicenseKey named "default" (apply your license.yaml, projectcalico.org/v3 LicenseKey)',
        gen,
      );
    else setTigeraStatus(ctx, 'calico', 'available', '', '', gen);
    setTigeraStatus(ctx, 'ippools', 'available', '', '', gen);
    this.writeInstallationStatus(ctx, inst, !state);
    this.reconcileApiServer(ctx, inst, !state);
  }

  private operatorPod(ctx: ControllerContext): KubeObject | undefined {
    if (!ctx.store.get('apps', 'Deployment', 'tigera-operator', 'tigera-operator')) return undefined;
    return ctx.store
      .list('', 'Pod', 'tigera-operator')
      .find(
        (p) =>
          (p.metadata.labels?.['k8s-app'] === 'tigera-operator' || p.metadata.labels?.name === 'tigera-operator') &&
          isPodRunning(p),
      );
  }

  private versions(ctx: ControllerContext): { calico: string; enterprise: string } {
    const d = ctx.store.get('apps', 'Deployment', 'tigera-operator', 'tigera-operator');
    const image = ((d?.spec as { template?: { spec?: { containers?: Array<{ image?: string }> } } })?.template?.spec
      ?.containers?.[0]?.image ?? '') as string;
    const tag = image.split(':')[1] ?? '';
    const minor = tag.split('.').slice(0, 2).join('.');
    return operatorReleases[minor] ?? operatorReleases['v1.40'];
  }

  /** The operator's own checks, in its order; 'pending' while the VPC CIDR is not known yet. */
  private validate(
    ctx: ControllerContext,
    inst: KubeObject,
  ): { reason: string; message: string; pool?: boolean } | undefined | 'pending' {
    const spec = installationSpec(inst);
    const invalid = (message: string, pool = false) => ({ reason: 'InvalidConfigurationError', message, pool });
    const provider = spec.kubernetesProvider ?? '';
    if (provider !== '' && provider !== 'EKS') {
      return invalid(`Installation spec.kubernetesProvider '${provider}' does not match auto-detected value 'EKS'`);
    }
    if (spec.variant && spec.variant !== 'Calico' && spec.variant !== 'TigeraSecureEnterprise') {
      return invalid(`Installation spec.variant '${spec.variant}' is not valid: use Calico or TigeraSecureEnterprise`);
    }
    if (
      spec.variant === 'TigeraSecureEnterprise' &&
      !ctx.store.get('apiextensions.k8s.io', 'CustomResourceDefinition', undefined, 'licensekeys.crd.projectcalico.org')
    ) {
      return {
        reason: 'ResourceNotFound',
        message:
          'Calico Enterprise resources are not installed (CRD licensekeys.crd.projectcalico.org not found): apply the Calico Enterprise operator-crds.yaml',
      };
    }
    const pullSecrets = (spec as { imagePullSecrets?: Array<{ name?: string }> }).imagePullSecrets ?? [];
    if (spec.variant === 'TigeraSecureEnterprise' && pullSecrets.length === 0) {
      // Calico Enterprise's images (quay.io/tigera) are private: without a pull secret every pod stays in ImagePullBackOff.
      return {
        reason: 'ImagePullBackOff',
        message:
          'calico-node: ImagePullBackOff: pulling quay.io/tigera/cnx-node: unauthorized: authentication required ' +
          '(Calico Enterprise images are private and the Installation lists no imagePullSecrets)',
      };
    }
    for (const ref of pullSecrets) {
      if (ref.name && !ctx.store.get('', 'Secret', 'tigera-operator', ref.name)) {
        return {
          reason: 'ResourceReadError',
          message: `Error retrieving pull secret: secrets "${ref.name}" not found in namespace "tigera-operator"`,
        };
      }
    }
    const cniType = spec.cni?.type ?? 'AmazonVPC'; // the EKS default
    const ipam = spec.cni?.ipam?.type ?? (cniType === 'Calico' ? 'Calico' : cniType);
    if (!['Calico', 'AmazonVPC', 'GKE', 'AzureVNET'].includes(cniType))
      return invalid(`spec.cni.type '${cniType}' is not supported`);
    if (cniType === 'Calico' && !['Calico', 'HostLocal'].includes(ipam)) {
      return invalid(
        `spec.cni.ipam.type '${ipam}' is not compatible with spec.cni.type 'Calico'; valid IPAM values: Calico, HostLocal`,
      );
    }
    if (cniType === 'AmazonVPC' && ipam !== 'AmazonVPC') {
      return invalid(
        `spec.cni.ipam.type '${ipam}' is not compatible with spec.cni.type 'AmazonVPC'; valid IPAM values: AmazonVPC`,
      );
    }
    const pools = spec.calicoNetwork?.ipPools ?? [];
    if (cniType === 'AmazonVPC' && pools.length) {
      return invalid('spec.calicoNetwork.ipPools must be empty when spec.cni.type is AmazonVPC', true);
    }
    const bgpOff = (spec.calicoNetwork?.bgp ?? 'Enabled') === 'Disabled';
    const vpcId = ctx.handle.placement.vpcId;
    const vpcCidr = this.aws.cachedVpcCidr(vpcId);
    if (pools.length && !vpcCidr) {
      this.aws
        .vpcCidr(vpcId)
        .then(() => ctx.kick())
        .catch((err) => console.error(`[sandbox ${ctx.handle.placement.name}] reading VPC ${vpcId}:`, err));
      return 'pending';
    }
    for (const [i, pool] of pools.entries()) {
      const name = ipPoolName(pool, i);
      if (!pool.cidr || !isValidCidr(pool.cidr))
        return invalid(`IP pool ${name}: cidr '${pool.cidr ?? ''}' is not a valid IPv4 CIDR`, true);
      const enc = pool.encapsulation ?? 'IPIP';
      if (!encapsulations.includes(enc)) {
        return invalid(
          `IP pool ${name} (${pool.cidr}): encapsulation '${enc}' is not one of ${encapsulations.join(', ')}`,
          true,
        );
      }
      if (bgpOff && enc.startsWith('IPIP')) {
        return invalid(
          `IP pool ${name} (${pool.cidr}): ${enc} encapsulation requires BGP, but spec.calicoNetwork.bgp is Disabled; use VXLAN`,
          true,
        );
      }
      // As tigera/operator's installation validation: without BGP nothing programs routes for plain pod IPs.
      if (bgpOff && enc === 'None') {
        return invalid(`IP pool ${name} (${pool.cidr}): Unencapsulated IP pools require that BGP is enabled`, true);
      }
      if (vpcCidr && cidrsOverlap(pool.cidr, vpcCidr)) {
        return invalid(
          `IP pool ${name} (${pool.cidr}) overlaps with the VPC CIDR ${vpcCidr} of ${vpcId}; pick a pod CIDR outside the VPC`,
          true,
        );
      }
      for (const other of pools.slice(0, i)) {
        if (other.cidr && cidrsOverlap(pool.cidr, other.cidr))
          return invalid(`IP pools ${other.cidr} and ${pool.cidr} overlap`, true);
      }
    }
    return undefined;
  }

  private render(ctx: ControllerContext, inst: KubeObject): void {
    const spec = installationSpec(inst);
    const v = this.versions(ctx);
    const enterprise = isEnterprise(inst);
    const images = calicoImages(enterprise, enterprise ? v.enterprise : v.calico);
    const nodeCount = ctx.store.list('', 'Node').length;
    // The operator's Typha autoscaler: one per node up to three (Typha binds a host port).
    const typhaReplicas = Math.max(1, Math.min(3, nodeCount));
    for (const obj of renderCalicoSystem(inst, images, typhaReplicas)) this.upsert(ctx, obj);
    const pools = spec.cni?.type === 'Calico' ? (spec.calicoNetwork?.ipPools ?? []) : [];
    const effective =
      spec.cni?.type === 'Calico' && pools.length === 0 ? [{ cidr: '192.168.0.0/16', encapsulation: 'IPIP' }] : pools;
    const wanted = new Set<string>();
    for (const [i, pool] of effective.entries()) {
      const obj = renderIpPool(inst, pool, i);
      wanted.add(obj.metadata.name);
      this.upsert(ctx, obj);
    }
    for (const p of ctx.store.list('crd.projectcalico.org', 'IPPool')) {
      if (p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'tigera-operator' && !wanted.has(p.metadata.name)) {
        ctx.deleteIfExists('crd.projectcalico.org', 'IPPool', undefined, p.metadata.name);
      }
    }
    ctx.ensure(renderFelixConfiguration());
    this.rendered = true;
  }

  /** Creates, or brings spec (and rules, roleRef, subjects) back to what the operator renders. */
  private upsert(ctx: ControllerContext, obj: KubeObject): void {
    const existing = ctx.ensure(obj);
    ctx.patchIfChanged(existing, (o) => {
      for (const field of ['rules', 'roleRef', 'subjects']) if (obj[field] !== undefined) o[field] = obj[field];
      if (obj.spec !== undefined) o.spec = mergeRendered(o.spec, obj.spec);
    });
  }

  /** A progress message while something is not available yet; undefined when all is up. */
  private componentsState(ctx: ControllerContext): string | undefined {
    const ds = ctx.store.get('apps', 'DaemonSet', 'calico-system', 'calico-node');
    const dss = (ds?.status ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
    if (!ds) return 'Waiting for calico-system to be rendered';
    const nodes = ctx.store.list('', 'Node').length;
    if (nodes === 0) return 'DaemonSet "calico-system/calico-node" is not available (no nodes)';
    if ((dss.numberReady ?? 0) < Math.max(1, dss.desiredNumberScheduled ?? nodes)) {
      const waiting = Math.max(1, dss.desiredNumberScheduled ?? nodes) - (dss.numberReady ?? 0);
      return `DaemonSet "calico-system/calico-node" is not available (awaiting ${waiting} nodes)`;
    }
    for (const name of ['calico-typha', 'calico-kube-controllers']) {
      const d = ctx.store.get('apps', 'Deployment', 'calico-system', name);
      const want = (d?.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      const have = (d?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
      if (have < want) return `Deployment "calico-system/${name}" is not available (awaiting ${want - have} replicas)`;
    }
    return undefined;
  }

  private writeInstallationStatus(ctx: ControllerContext, inst: KubeObject, available: boolean): void {
    const v = this.versions(ctx);
    const enterprise = isEnterprise(inst);
    ctx.patchIfChanged(inst, (o) => {
      const prev = (o.status ?? {}) as Record<string, unknown>;
      o.status = {
        ...prev,
        ...(available
          ? {
              variant: enterprise ? 'TigeraSecureEnterprise' : 'Calico',
              calicoVersion: enterprise ? v.enterprise : v.calico,
              mtu: 8951,
              computed: o.spec,
            }
          : {}),
      };
    });
  }

  private reconcileApiServer(ctx: ControllerContext, inst: KubeObject, calicoUp: boolean): void {
    const cr = ctx.store.get('operator.tigera.io', 'APIServer', undefined, 'default');
    if (!cr) {
      for (const key of this.registered) {
        const [group, version, plural] = key.split('|');
        ctx.handle.api.unregister(group, version, plural);
      }
      this.registered.clear();
      ctx.deleteIfExists('operator.tigera.io', 'TigeraStatus', undefined, 'apiserver');
      return;
    }
    const gen = cr.metadata.generation ?? 1;
    if (!calicoUp && !ctx.store.get('apps', 'Deployment', 'calico-apiserver', 'calico-apiserver')) {
      setTigeraStatus(ctx, 'apiserver', 'progressing', 'ResourceNotReady', 'Waiting for Installation to be ready', gen);
      return;
    }
    const v = this.versions(ctx);
    const enterprise = isEnterprise(inst);
    for (const obj of renderApiServer(cr, calicoImages(enterprise, enterprise ? v.enterprise : v.calico)))
      this.upsert(ctx, obj);
    const d = ctx.store.get('apps', 'Deployment', 'calico-apiserver', 'calico-apiserver');
    const have = (d?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
    if (have < 1) {
      setTigeraStatus(
        ctx,
        'apiserver',
        'progressing',
        'ResourceNotReady',
        'Deployment "calico-apiserver/calico-apiserver" is not available (awaiting 1 replicas)',
        gen,
      );
      return;
    }
    const defs = ossV3Resources.map(([k, p, n]) =>
      k === 'FelixConfiguration' && !enterprise
        ? Object.assign(v3(k, p, n), { validate: validateOssFelixConfiguration })
        : v3(k, p, n),
    );
    if (enterprise) {
      defs.push(v3('LicenseKey', 'licensekeys', false));
      if (hasLicense(ctx)) defs.push(v3('RemoteClusterConfiguration', 'remoteclusterconfigurations', false));
    }
    const want = new Set(defs.map((d) => `${d.group}|${d.version}|${d.plural}`));
    for (const def of defs) {
      const key = `${def.group}|${def.version}|${def.plural}`;
      if (!this.registered.has(key)) {
        ctx.handle.api.register(def);
        this.registered.add(key);
      }
    }
    for (const key of [...this.registered]) {
      if (want.has(key)) continue;
      const [group, version, plural] = key.split('|');
      ctx.handle.api.unregister(group, version, plural);
      this.registered.delete(key);
    }
    setTigeraStatus(ctx, 'apiserver', 'available', '', '', gen);
  }

  /** Each Calico component and operator pod logs its start once it runs. */
  private writeStartupLogs(ctx: ControllerContext): void {
    const v = this.versions(ctx);
    const inst = ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    const version = isEnterprise(inst) ? v.enterprise : v.calico;
    for (const ns of ['tigera-operator', 'calico-system', 'calico-apiserver']) {
      for (const pod of ctx.store.list('', 'Pod', ns)) {
        const uid = pod.metadata.uid ?? pod.metadata.name;
        if (this.loggedPods.has(uid) || !isPodRunning(pod)) continue;
        this.loggedPods.add(uid);
        const component = pod.metadata.labels?.['k8s-app'] ?? '';
        for (const line of startupLines(component, version, podSpec(pod).nodeName ?? ''))
          ctx.handle.logs.append(ns, pod.metadata.name, line);
      }
    }
  }
}
