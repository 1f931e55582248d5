// /mesh ping <from> <target>: from the netshoot pod of one cluster, reach another cluster's service, one of its
// pods, or every other cluster; the answer says why when it fails.
import { STATEFULSET_PREFIX } from '../src/config/spec.ts';
import type { MeshSpec } from '../src/config/spec-types.ts';
import { clusterNames, findCluster, splitArgs, usageError, wholeNumber } from './args.ts';
import type { ParseResult, PingTarget, Subcommand } from './types.ts';

const USAGE = '/mesh ping FROM-CLUSTER CLUSTER|CLUSTER-N|all';

function example(spec: MeshSpec): string {
  const [a, b] = clusterNames(spec);
  return `/mesh ping ${a ?? 'iad'} ${b ?? 'pdx'}-0`;
}

type TargetParse = { ok: true; target: PingTarget } | { ok: false; error: string };

/** `pdx` (its service), `pdx-0` or `multi-cluster-rs-pdx-0` (a pod), or `all`. */
export function parsePingTarget(word: string, spec: MeshSpec, from?: string): TargetParse {
  const w = word.toLowerCase();
  if (w === 'all') return { ok: true, target: { kind: 'all' } };
  const names = clusterNames(spec);
  if (names.includes(w)) return { ok: true, target: { kind: 'service', cluster: w } };
  const podName = w.startsWith(STATEFULSET_PREFIX) ? w.slice(STATEFULSET_PREFIX.length) : w;
  const dash = podName.lastIndexOf('-');
  const owner = dash > 0 ? podName.slice(0, dash) : '';
  if (names.includes(owner)) {
    const ordinalWord = podName.slice(dash + 1);
    const ordinal = wholeNumber(ordinalWord);
    const max = spec.workloads.maxReplicas;
    if (ordinal === undefined || ordinal >= max) {
      return {
        ok: false,
        error: `in \`${word}\`, the pod ordinal must be a whole number from 0 to ${max - 1}; got \`${ordinalWord}\``,
      };
    }
    return { ok: true, target: { kind: 'pod', cluster: owner, ordinal } };
  }
  const first = names.find((n) => n !== from) ?? names[0] ?? 'pdx';
  return {
    ok: false,
    error: `\`${word}\` is neither a cluster (${names.join(', ')}), a pod of a cluster (like \`${first}-0\`) nor \`all\``,
  };
}

export const ping: Subcommand<'ping'> = {
  name: 'ping',
  usage: USAGE,
  summary: "ping across the mesh from one cluster's netshoot pod; says why when it fails",
  details: (spec) =>
    'From the netshoot pod of FROM-CLUSTER, reaches the target by its federated name: `CLUSTER` is its ' +
    'service, `CLUSTER-N` its pod N, `all` every other cluster. Reports round-trip times, or the reason ' +
    `a path does not work (peering, routes, security rules, sync). Clusters: ${clusterNames(spec).join(', ')}.`,
  example,
  parse(args, spec): ParseResult {
    const split = splitArgs('ping', args, {});
    if (!split.ok) return usageError(split.error, USAGE, example(spec));
    const [fromWord, targetWord, ...extra] = split.positional;
    if (fromWord === undefined || targetWord === undefined) {
      const missing = fromWord === undefined ? 'a cluster to ping from and a target' : 'a target';
      return usageError(`\`/mesh ping\` needs ${missing}`, USAGE, example(spec));
    }
    if (extra.length > 0)
      return usageError(`\`/mesh ping\` takes two arguments; \`${extra.join(' ')}\` is extra`, USAGE, example(spec));
    const from = findCluster(fromWord, spec);
    if (!from.ok) return usageError(from.error, USAGE, example(spec));
    const target = parsePingTarget(targetWord, spec, from.name);
    if (!target.ok) return usageError(target.error, USAGE, example(spec));
    if (target.target.kind !== 'all' && target.target.cluster === from.name) {
      return usageError(
        `\`${targetWord}\` is in ${from.name}, the cluster you ping from; pick a target in another cluster (the mesh carries traffic between clusters)`,
        USAGE,
        example(spec),
      );
    }
    return { ok: true, command: { kind: 'ping', from: from.name, target: target.target } };
  },
  describe(cmd) {
    const t = cmd.target;
    const target = t.kind === 'all' ? 'all' : t.kind === 'service' ? t.cluster : `${t.cluster}-${t.ordinal}`;
    return `/mesh ping ${cmd.from} ${target}`;
  },
};
