// /mesh scale <cluster> <replicas>: set the replicas of the cluster's StatefulSet (multi-cluster-rs-<cluster>).

import type { MeshSpec } from '../src/config/spec-types.ts';
import { findCluster, splitArgs, usageError, wholeNumber } from './args.ts';
import type { Subcommand } from './types.ts';

const USAGE = '/mesh scale CLUSTER REPLICAS';
const example = (spec: MeshSpec) => `/mesh scale ${spec.clusters[0]?.name ?? 'iad'} 2`;

export const scale: Subcommand<'scale'> = {
  name: 'scale',
  usage: USAGE,
  summary: 'set how many replicas of the demo workload run in a cluster',
  details: (spec) =>
    `Sets the replicas of StatefulSet multi-cluster-rs-CLUSTER to a whole number from 0 to ` +
    `${spec.workloads.maxReplicas}; the other clusters see the new pods through the federated service. ` +
    `Clusters: ${spec.clusters.map((c) => c.name).join(', ')}.`,
  example,
  parse(args, spec) {
    const split = splitArgs('scale', args, {});
    if (!split.ok) return usageError(split.error, USAGE, example(spec));
    const [clusterWord, replicasWord, ...extra] = split.positional;
    if (clusterWord === undefined || replicasWord === undefined) {
      const missing = clusterWord === undefined ? 'a cluster and a replica count' : 'a replica count';
      return usageError(`\`/mesh scale\` needs ${missing}`, USAGE, example(spec));
    }
    if (extra.length > 0)
      return usageError(`\`/mesh scale\` takes two arguments; \`${extra.join(' ')}\` is extra`, USAGE, example(spec));
    const cluster = findCluster(clusterWord, spec);
    if (!cluster.ok) return usageError(cluster.error, USAGE, example(spec));
    const max = spec.workloads.maxReplicas;
    const replicas = wholeNumber(replicasWord);
    if (replicas === undefined || replicas > max) {
      return usageError(
        `replicas must be a whole number from 0 to ${max}; got \`${replicasWord}\``,
        USAGE,
        example(spec),
      );
    }
    return { ok: true, command: { kind: 'scale', cluster: cluster.name, replicas } };
  },
  describe: (cmd) => `/mesh scale ${cmd.cluster} ${cmd.replicas}`,
};
