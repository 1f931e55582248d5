// The worker policy for one mesh: meshops-worker-policy.json is a template whose ${MESH} stands for the mesh's
// name (the spec's `name`). Rendered per mesh rather than keyed on a policy variable, so that each statement names
// exactly the mesh it grants (tag values, cluster and role names) and an operator can read what a worker may do.
// IAM caps a managed policy at 6144 characters, so it is rendered as two: the network (EC2) and the clusters and
// their roles (EKS, IAM); attach both to the worker's role.
// A statement naming ${CLUSTER} is rendered once per cluster of the spec (${CLUSTER_INDEX} numbers its Sid): the
// in-tree cloud provider tags what it makes `kubernetes.io/cluster/<eks cluster>`, the cluster in the tag's key,
// and IAM matches condition key names literally (no wildcard), so each cluster needs its own condition. Those
// statements are spread over both parts. Render again when the spec gains a cluster.
// Usage: node infra/iam/render-policy.ts <mesh> network|clusters [cluster ...] > policy.json
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TEMPLATE = new URL('./meshops-worker-policy.json', import.meta.url);
/** The spec's mesh name rule (a DNS label); it also keeps IAM wildcards (* ?) and ${...} out of the policy. */
const MESH_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** IAM's limit for a customer managed policy, whitespace not counted. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

export interface PolicyDocument {
  Version: string;
  Statement: Array<Record<string, unknown>>;
}

/** Sids of the statements rendered per cluster. */
const PER_CLUSTER_SID = /^InTreeLoadBalancers\d+$/;

function checkName(kind: string, name: string): void {
  if (!MESH_NAME.test(name)) {
    throw new Error(`${kind} name "${name}" is not a DNS label (lowercase letters, digits, -; starts with a letter)`);
  }
}

/** The whole policy for a mesh and the names of its clusters (the spec's `clusters[].name`). */
export function renderWorkerPolicy(mesh: string, clusters: string[] = []): PolicyDocument {
  checkName('mesh', mesh);
  for (const c of clusters) checkName('cluster', c);
  const template = JSON.parse(readFileSync(TEMPLATE, 'utf8')) as PolicyDocument;
  const statements = template.Statement.flatMap((st) => {
    const text = JSON.stringify(st);
    if (!text.includes('${CLUSTER}')) return [text];
    return clusters.map((c, i) => text.replaceAll('${CLUSTER}', c).replaceAll('${CLUSTER_INDEX}', String(i + 1)));
  });
  const text = JSON.stringify({ ...template, Statement: statements.map((t) => JSON.parse(t)) }).replaceAll(
    '${MESH}',
    mesh,
  );
  if (/\$\{(MESH|CLUSTER)/.test(text)) throw new Error('the policy template has a placeholder left after rendering');
  return JSON.parse(text) as PolicyDocument;
}

const sizeOf = (doc: PolicyDocument) => JSON.stringify(doc).replace(/\s/g, '').length;

/**
 * The policy in the two parts that are attached (each under IAM's size limit). The per-cluster statements go,
 * one by one, to whichever part is smaller at the time.
 */
export function renderWorkerPolicies(
  mesh: string,
  clusters: string[] = [],
): { network: PolicyDocument; clusters: PolicyDocument } {
  const all = renderWorkerPolicy(mesh, clusters);
  const perCluster = (s: Record<string, unknown>) => PER_CLUSTER_SID.test(String(s.Sid));
  const isNetwork = (s: Record<string, unknown>) =>
    [s.Action].flat().every((a) => typeof a === 'string' && /^(ec2|elasticloadbalancing):/.test(a));
  const rest = all.Statement.filter((s) => !perCluster(s));
  const parts = {
    network: { Version: all.Version, Statement: rest.filter(isNetwork) },
    clusters: { Version: all.Version, Statement: rest.filter((s) => !isNetwork(s)) },
  };
  for (const s of all.Statement.filter(perCluster)) {
    (sizeOf(parts.network) <= sizeOf(parts.clusters) ? parts.network : parts.clusters).Statement.push(s);
  }
  for (const [name, part] of Object.entries(parts)) {
    if (sizeOf(part) > MANAGED_POLICY_MAX_CHARS) {
      throw new Error(
        `the ${name} policy is ${sizeOf(part)} characters, over IAM's ${MANAGED_POLICY_MAX_CHARS}: too many clusters for one pair`,
      );
    }
  }
  return parts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mesh, part, ...clusters] = process.argv.slice(2);
  if (!mesh || (part !== 'network' && part !== 'clusters')) {
    process.stderr.write('usage: node infra/iam/render-policy.ts <mesh> network|clusters [cluster ...]\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(renderWorkerPolicies(mesh, clusters)[part], null, 2)}\n`);
}
