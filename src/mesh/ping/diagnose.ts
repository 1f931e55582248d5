// Why a ping failed: walk the chain from the target outwards and name the first broken link with its evidence
// (subctl#961: a diagnose that says *why*). Target pod -> name resolution (federation) -> AWS path -> Calico.
import { overlaps } from '../../config/cidr.ts';
import type { Deps } from '../../deps.ts';
import { errorMessage } from '../../errors.ts';
import type { KubeApi } from '../../kube/client.ts';
import { podMtu, tigeraStatus } from '../kube/calico.ts';
import { CALICO_MTU } from '../kube/calico-install.ts';
import { CALICO_NS, clusterNamed, kubeFor, remoteSecretName, statefulSetName } from '../kube/names.ts';
import { podReady } from '../kube/netshoot.ts';
import { readTyphaSync, type TyphaSync } from '../kube/typha.ts';
import { federatedEndpoints, statefulSetState } from '../kube/workloads.ts';
import { checkAwsPath, type Finding } from './aws-path.ts';
import type { PingProbe } from './probe.ts';

export interface Diagnosis {
  /** The first link that is broken, if any was found. */
  broken?: Finding;
  findings: Finding[];
  /** Human text: the verdict first, then every link checked. */
  text: string;
}

/** The pod a DNS name points at (`multi-cluster-rs-pdx-0.multi-cluster-rs-pdx` -> `multi-cluster-rs-pdx-0`). */
export function podOfTarget(target: string, cluster: string): string | undefined {
  const sts = statefulSetName(cluster);
  const m = new RegExp(`^(${sts}-\\d+)\\.${sts}`).exec(target);
  return m?.[1];
}

async function targetFindings(deps: Deps, to: KubeApi, toName: string, target: string): Promise<Finding[]> {
  const ns = deps.spec.workloads.namespace;
  const pod = podOfTarget(target, toName);
  if (pod) {
    const state = await podReady(to, pod, ns);
    return [
      {
        ok: state === 'ready',
        link: 'target pod',
        detail:
          state === 'ready'
            ? `${toName}/${pod} is Ready`
            : `pod ${ns}/${pod} in ${toName} is ${state === 'missing' ? 'missing (is the StatefulSet scaled below it?)' : state}`,
      },
    ];
  }
  const s = await statefulSetState(to, deps, toName);
  const ok = !!s && s.ready > 0;
  return [
    {
      ok,
      link: 'target pods',
      detail: s
        ? `StatefulSet ${statefulSetName(toName)} in ${toName}: ${s.ready}/${s.desired} Ready`
        : `StatefulSet ${statefulSetName(toName)} is missing in ${toName}`,
    },
  ];
}

async function federationFindings(
  deps: Deps,
  from: KubeApi,
  fromName: string,
  toName: string,
  target: string,
): Promise<Finding[]> {
  const ns = deps.spec.workloads.namespace;
  const svc = statefulSetName(toName);
  const out: Finding[] = [];
  // Read everything at once; judge in chain order below.
  const [fed, rcc, secret, typha, eps] = await Promise.all([
    from.get<{ metadata: { annotations?: Record<string, string> } }>('v1', 'Service', svc, ns),
    from.get('projectcalico.org/v3', 'RemoteClusterConfiguration', toName),
    from.get('v1', 'Secret', remoteSecretName(toName), CALICO_NS),
    readTyphaSync(from, [toName]),
    federatedEndpoints(from, deps, toName),
  ]);
  out.push(
    fed
      ? {
          ok: true,
          link: 'federated service',
          detail: `Service ${ns}/${svc} in ${fromName} selects \`${fed.metadata.annotations?.['federation.tigera.io/serviceSelector'] ?? '(no selector annotation)'}\``,
        }
      : {
          ok: false,
          link: 'federated service',
          detail: `there is no federated Service ${ns}/${svc} in ${fromName}, so the name cannot resolve there`,
        },
  );
  out.push(
    rcc
      ? {
          ok: true,
          link: 'RemoteClusterConfiguration',
          detail: `RemoteClusterConfiguration ${toName} exists in ${fromName}`,
        }
      : {
          ok: false,
          link: 'RemoteClusterConfiguration',
          detail: `${fromName} has no RemoteClusterConfiguration ${toName}: it does not read ${toName} at all`,
        },
  );
  out.push(
    secret
      ? {
          ok: true,
          link: 'remote cluster secret',
          detail: `Secret ${CALICO_NS}/${remoteSecretName(toName)} exists in ${fromName}`,
        }
      : {
          ok: false,
          link: 'remote cluster secret',
          detail: `Secret ${CALICO_NS}/${remoteSecretName(toName)} is missing in ${fromName}: RemoteClusterConfiguration ${toName} has no credentials for ${toName}`,
        },
  );
  out.push(syncFinding(fromName, toName, typha));
  const remote = eps.filter((a) => a.targetRef?.name?.startsWith(`${toName}/`));
  const pod = podOfTarget(target, toName);
  const forPod = pod ? remote.filter((a) => a.targetRef?.name === `${toName}/${pod}` || a.hostname === pod) : remote;
  const listed = remote.map((a) => a.targetRef?.name).join(', ') || 'none';
  out.push(
    forPod.length
      ? {
          ok: true,
          link: 'federated endpoints',
          detail: `${svc} in ${fromName} has ${remote.length} endpoints from ${toName}`,
        }
      : {
          ok: false,
          link: 'federated endpoints',
          detail: `${svc} in ${fromName} has no endpoint for ${pod ?? `any pod of ${toName}`} (remote endpoints: ${listed})`,
        },
  );
  // A pod's name resolves from its endpoint's hostname: an endpoint without one answers only the service name.
  if (pod && forPod.length && !forPod.some((a) => a.hostname === pod)) {
    out.push({
      ok: false,
      link: 'federated endpoint hostname',
      detail:
        `federated endpoints carry no hostname: ${svc} in ${fromName} lists ${toName}/${pod} (${forPod[0].ip}) without ` +
        `hostname ${pod}, so ${target} cannot resolve there (the service name still does)`,
    });
  }
  return out;
}

/** Every Ready typha replica must report InSync: Felix takes its overlay routes to remote pods from one of them. */
function syncFinding(fromName: string, toName: string, typha: TyphaSync): Finding {
  const synced = typha.inSync.get(toName);
  if (synced) return { ok: true, link: 'federation sync', detail: `calico-typha in ${fromName}: ${synced}` };
  const lines = typha.relevant.filter((l) => l.includes(`(${toName})`)).slice(-5);
  return {
    ok: false,
    link: 'federation sync',
    detail:
      `calico-typha in ${fromName} is not in sync with ${toName}: ${typha.notInSync.get(toName)}; ` +
      `last log lines about it:\n${lines.length ? lines.join('\n') : '(none)'}`,
  };
}

/** When the name resolved but nothing answered: the endpoints arrived, but routes come from typha's sync too. */
async function routeSyncFindings(from: KubeApi, fromName: string, toName: string): Promise<Finding[]> {
  return [syncFinding(fromName, toName, await readTyphaSync(from, [toName]))];
}

async function calicoFindings(deps: Deps, pairs: Array<[string, KubeApi]>): Promise<Finding[]> {
  const out: Finding[] = [];
  const pools: Array<[string, string]> = [];
  for (const [name, client] of pairs) {
    const inst = await client.get<{ spec?: { calicoNetwork?: { ipPools?: Array<{ cidr?: string }> } } }>(
      'operator.tigera.io/v1',
      'Installation',
      'default',
    );
    const cidr = inst?.spec?.calicoNetwork?.ipPools?.[0]?.cidr ?? clusterNamed(deps, name).podCidr;
    pools.push([name, cidr]);
  }
  const [[a, ca], [b, cb]] = pools;
  out.push(
    overlaps(ca, cb)
      ? { ok: false, link: 'pod CIDRs', detail: `pod CIDRs overlap: ${a} ${ca} and ${b} ${cb}` }
      : { ok: true, link: 'pod CIDRs', detail: `${a} ${ca}, ${b} ${cb}: distinct` },
  );
  for (const [name, client] of pairs) {
    const ts = await tigeraStatus(client, 'calico');
    out.push({ ok: ts.available, link: `Calico in ${name}`, detail: `TigeraStatus ${ts.text}` });
  }
  const crossRegion = clusterNamed(deps, a).region !== clusterNamed(deps, b).region;
  for (const [name, client] of pairs) out.push(mtuFinding(name, await podMtu(client), crossRegion));
  return out;
}

/** A pod MTU whose VXLAN packets exceed an inter-Region peering's 8500 bytes loses every large packet. */
function mtuFinding(cluster: string, m: { mtu: number; configured: boolean }, crossRegion: boolean): Finding {
  const link = `MTU in ${cluster}`;
  const source = m.configured ? 'Installation calicoNetwork.mtu' : 'auto-detected (the Installation sets no mtu)';
  if (!crossRegion || m.mtu <= CALICO_MTU) return { ok: true, link, detail: `pod MTU ${m.mtu}, ${source}` };
  return {
    ok: false,
    link,
    detail:
      `pod MTU ${m.mtu}, ${source}: in VXLAN that is ${m.mtu + 50} bytes, more than the 8500 an inter-Region ` +
      `VPC peering carries, so large packets are dropped; set calicoNetwork.mtu ${CALICO_MTU} (\`/mesh up\` does)`,
  };
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
  const fromSpec = clusterNamed(deps, probe.from);
  const toSpec = clusterNamed(deps, probe.to);
  const findings: Finding[] = [];
  const [from, to] = await Promise.all([kubeFor(deps, fromSpec), kubeFor(deps, toSpec)]);
  // Every link is read side by side; the findings keep the chain's order, so the first broken one is the answer.
  // A name that resolved proves federation delivered the endpoints: then only typha's sync (the routes) is checked.
  const resolved = probe.result.failure === 'no-reply' || probe.result.failure === 'mtu';
  const groups = await Promise.all([
    guarded(`Kubernetes API of ${probe.to}`, () => targetFindings(deps, to, probe.to, probe.target)),
    guarded(`Kubernetes API of ${probe.from}`, () =>
      resolved
        ? routeSyncFindings(from, probe.from, probe.to)
        : federationFindings(deps, from, probe.from, probe.to, probe.target),
    ),
    guarded('AWS path', () => checkAwsPath(deps, fromSpec, toSpec)),
    guarded('Calico', () =>
      calicoFindings(deps, [
        [probe.from, from],
        [probe.to, to],
      ]),
    ),
  ]);
  findings.push(...groups.flat());
  return { broken: findings.find((f) => !f.ok), findings, text: renderDiagnosis(probe, findings) };
}
