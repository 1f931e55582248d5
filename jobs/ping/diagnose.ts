// Why a ping failed: walk the chain from the target outwards and name the first broken link with its evidence
// (subctl#961: a diagnose that says *why*). Target pod -> name resolution (federation) -> AWS path -> Calico.
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { errorMessage } from '../../src/errors.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { tigeraStatus } from '../up/kube/calico-ready.ts';
import { CALICO_NS, inSyncLine, kubeFor, statefulSetName } from '../up/kube/common.ts';
import { remoteSecretName } from '../up/kube/mesh-pair.ts';
import { readTyphaSync } from '../up/kube/mesh-sync.ts';
import { podReady, statefulSetState } from '../up/kube/workloads.ts';
import { checkAwsPath, type Finding } from './aws-path.ts';
import { overlaps as cidrsOverlap } from '../../src/config/cidr.ts';
import type { PingProbe } from './probe.ts';

export interface Diagnosis {
  /** The first link that is broken, if any was found. */
  broken?: Finding;
  findings: Finding[];
  /** Human text: the verdict first, then every link checked. */
  text: string;
}

function clusterByName(deps: Deps, name: string): ClusterSpec {
  const c = deps.spec.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`no cluster ${name} in mesh ${deps.spec.name}`);
  return c;
}

/** The pod a DNS name points at (`multi-cluster-rs-pdx-0.multi-cluster-rs-pdx` -> `multi-cluster-rs-pdx-0`). */
export function podOfTarget(target: string, cluster: string): string | undefined {
  const sts = statefulSetName(cluster);
  const m = new RegExp(`^(${sts}-\\d+)\\.${sts}`).exec(target);
  return m?.[1];
}

async function targetFindings(deps: Deps, to: KubeClient, toName: string, target: string): Promise<Finding[]> {
  const ns = deps.spec.workloads.namespace;
  const pod = podOfTarget(target, toName);
  if (pod) {
    const state = await podReady(to, pod, ns);
    return [{ ok: state === 'ready', link: 'target pod', detail: state === 'ready' ? `${toName}/${pod} is Ready` : `pod ${ns}/${pod} in ${toName} is ${state === 'missing' ? 'missing (is the StatefulSet scaled below it?)' : state}` }];
  }
  const s = await statefulSetState(to, deps, toName);
  const ok = !!s && s.ready > 0;
  return [{ ok, link: 'target pods', detail: s ? `StatefulSet ${statefulSetName(toName)} in ${toName}: ${s.ready}/${s.desired} Ready` : `StatefulSet ${statefulSetName(toName)} is missing in ${toName}` }];
}

interface EndpointsObj {
  subsets?: Array<{ addresses?: Array<{ ip: string; hostname?: string; targetRef?: { name?: string } }>; notReadyAddresses?: unknown[] }>;
}

async function federationFindings(deps: Deps, from: KubeClient, fromName: string, toName: string, target: string): Promise<Finding[]> {
  const ns = deps.spec.workloads.namespace;
  const svc = statefulSetName(toName);
  const out: Finding[] = [];
  // Read everything at once; judge in chain order below.
  const [fed, rcc, secret, typha, eps] = await Promise.all([
    from.get<{ metadata: { annotations?: Record<string, string> } }>('v1', 'Service', svc, ns),
    from.get('projectcalico.org/v3', 'RemoteClusterConfiguration', toName),
    from.get('v1', 'Secret', remoteSecretName(toName), CALICO_NS),
    readTyphaSync(from, [toName]),
    from.get<EndpointsObj>('v1', 'Endpoints', svc, ns),
  ]);
  out.push(
    fed
      ? { ok: true, link: 'federated service', detail: `Service ${ns}/${svc} in ${fromName} selects \`${fed.metadata.annotations?.['federation.tigera.io/serviceSelector'] ?? '(no selector annotation)'}\`` }
      : { ok: false, link: 'federated service', detail: `there is no federated Service ${ns}/${svc} in ${fromName}, so the name cannot resolve there` },
  );
  out.push(rcc ? { ok: true, link: 'RemoteClusterConfiguration', detail: `RemoteClusterConfiguration ${toName} exists in ${fromName}` } : { ok: false, link: 'RemoteClusterConfiguration', detail: `${fromName} has no RemoteClusterConfiguration ${toName}: it does not read ${toName} at all` });
  out.push(
    secret
      ? { ok: true, link: 'remote cluster secret', detail: `Secret ${CALICO_NS}/${remoteSecretName(toName)} exists in ${fromName}` }
      : { ok: false, link: 'remote cluster secret', detail: `Secret ${CALICO_NS}/${remoteSecretName(toName)} is missing in ${fromName}: RemoteClusterConfiguration ${toName} has no credentials for ${toName}` },
  );
  const synced = typha.inSync.get(toName);
  const lines = typha.relevant.filter((l) => l.includes(`(${toName})`)).slice(-5);
  out.push(
    synced
      ? { ok: true, link: 'federation sync', detail: `calico-typha in ${fromName}: ${synced}` }
      : { ok: false, link: 'federation sync', detail: `calico-typha in ${fromName} is not in sync with ${toName} (no "${inSyncLine(toName)}" as its last word on it); last lines about it:\n${lines.length ? lines.join('\n') : '(none)'}` },
  );
  const addrs = eps?.subsets?.flatMap((s) => s.addresses ?? []) ?? [];
  const remote = addrs.filter((a) => a.targetRef?.name?.startsWith(`${toName}/`));
  const pod = podOfTarget(target, toName);
  const hit = pod ? remote.some((a) => a.targetRef?.name === `${toName}/${pod}` || a.hostname === pod) : remote.length > 0;
  out.push(
    hit
      ? { ok: true, link: 'federated endpoints', detail: `${svc} in ${fromName} has ${remote.length} endpoints from ${toName}` }
      : { ok: false, link: 'federated endpoints', detail: `${svc} in ${fromName} has no endpoint for ${pod ?? `any pod of ${toName}`} (remote endpoints: ${remote.map((a) => a.targetRef?.name).join(', ') || 'none'})` },
  );
  return out;
}

async function calicoFindings(deps: Deps, pairs: Array<[string, KubeClient]>): Promise<Finding[]> {
  const out: Finding[] = [];
  const pools: Array<[string, string]> = [];
  for (const [name, client] of pairs) {
    const inst = await client.get<{ spec?: { calicoNetwork?: { ipPools?: Array<{ cidr?: string }> } } }>('operator.tigera.io/v1', 'Installation', 'default');
    const cidr = inst?.spec?.calicoNetwork?.ipPools?.[0]?.cidr ?? clusterByName(deps, name).podCidr;
    pools.push([name, cidr]);
  }
  const [[a, ca], [b, cb]] = pools;
  out.push(cidrsOverlap(ca, cb) ? { ok: false, link: 'pod CIDRs', detail: `pod CIDRs overlap: ${a} ${ca} and ${b} ${cb}` } : { ok: true, link: 'pod CIDRs', detail: `${a} ${ca}, ${b} ${cb}: distinct` });
  for (const [name, client] of pairs) {
    const ts = await tigeraStatus(client, 'calico');
    out.push({ ok: ts.available, link: `Calico in ${name}`, detail: `TigeraStatus ${ts.text}` });
  }
  return out;
}

async function guarded(link: string, f: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await f();
  } catch (err) {
    return [{ ok: false, link, detail: `could not check: ${errorMessage(err)}` }];
  }
}

export function renderDiagnosis(probe: Pick<PingProbe, 'from' | 'target'>, findings: Finding[]): string {
  const broken = findings.find((f) => !f.ok);
  const head = broken
    ? `ping ${probe.target} from ${probe.from} fails at: ${broken.link}: ${broken.detail}`
    : `ping ${probe.target} from ${probe.from} failed, but every link checked looks healthy (a transient loss?)`;
  return [head, '', ...findings.map((f) => `${f.ok ? 'ok  ' : 'FAIL'} ${f.link}: ${f.detail}`)].join('\n');
}

export async function diagnose(deps: Deps, probe: PingProbe): Promise<Diagnosis> {
  const fromSpec = clusterByName(deps, probe.from);
  const toSpec = clusterByName(deps, probe.to);
  const findings: Finding[] = [];
  const [from, to] = await Promise.all([kubeFor(deps, fromSpec), kubeFor(deps, toSpec)]);
  // Every link is read side by side; the findings keep the chain's order, so the first broken one is the answer.
  // A name that resolved proves federation delivered the endpoints: only check it when resolution failed.
  const groups = await Promise.all([
    guarded(`Kubernetes API of ${probe.to}`, () => targetFindings(deps, to, probe.to, probe.target)),
    probe.result.failure !== 'no-reply' ? guarded(`Kubernetes API of ${probe.from}`, () => federationFindings(deps, from, probe.from, probe.to, probe.target)) : Promise.resolve([]),
    guarded('AWS path', () => checkAwsPath(deps, fromSpec, toSpec)),
    guarded('Calico', () => calicoFindings(deps, [[probe.from, from], [probe.to, to]])),
  ]);
  findings.push(...groups.flat());
  return { broken: findings.find((f) => !f.ok), findings, text: renderDiagnosis(probe, findings) };
}
