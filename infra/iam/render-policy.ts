// The worker policy for one mesh: meshops-worker-policy.json is a template whose ${MESH} stands for the mesh's
// name (the spec's `name`). Rendered per mesh rather than keyed on a policy variable, so that each statement names
// exactly the mesh it grants (tag values, cluster and role names) and an operator can read what a worker may do.
// IAM caps a managed policy at 6144 characters, so it is rendered as two: the network (EC2) and the clusters and
// their roles (EKS, IAM); attach both to the worker's role.
// Usage: node infra/iam/render-policy.ts <mesh> network|clusters > policy.json
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

export function renderWorkerPolicy(mesh: string): PolicyDocument {
  if (!MESH_NAME.test(mesh)) {
    throw new Error(`mesh name "${mesh}" is not a DNS label (lowercase letters, digits, -; starts with a letter)`);
  }
  const text = readFileSync(TEMPLATE, 'utf8').replaceAll('${MESH}', mesh);
  if (text.includes('${MESH')) throw new Error('the policy template has a placeholder left after rendering');
  return JSON.parse(text) as PolicyDocument;
}

/** The policy in the two parts that are attached (each under IAM's size limit). */
export function renderWorkerPolicies(mesh: string): { network: PolicyDocument; clusters: PolicyDocument } {
  const all = renderWorkerPolicy(mesh);
  const isNetwork = (s: Record<string, unknown>) =>
    [s.Action].flat().every((a) => typeof a === 'string' && /^(ec2|elasticloadbalancing):/.test(a));
  return {
    network: { Version: all.Version, Statement: all.Statement.filter(isNetwork) },
    clusters: { Version: all.Version, Statement: all.Statement.filter((s) => !isNetwork(s)) },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mesh, part] = process.argv.slice(2);
  if (!mesh || (part !== 'network' && part !== 'clusters')) {
    process.stderr.write('usage: node infra/iam/render-policy.ts <mesh> network|clusters\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(renderWorkerPolicies(mesh)[part], null, 2)}\n`);
}
