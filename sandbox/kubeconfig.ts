// A kubeconfig for the sandbox's live clusters, one context per cluster named after it (iad, pdx), so that a
// user can look inside with kubectl while the sandbox runs. Rewritten whenever clusters come or go.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { SimClusterHandle } from './contracts.ts';

const tokenPlugin = fileURLToPath(new URL('./kubectl-token.ts', import.meta.url));

export function kubeconfigFor(clusters: SimClusterHandle[], mesh: string, awsEnv: Record<string, string>): string {
  const short = (name: string) => (name.startsWith(`${mesh}-`) ? name.slice(mesh.length + 1) : name);
  const env = Object.entries(awsEnv).map(([name, value]) => ({ name, value }));
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({
      name: short(c.placement.name),
      cluster: { server: c.endpoint, 'certificate-authority-data': Buffer.from(c.caPem).toString('base64') },
    })),
    users: clusters.map((c) => ({
      name: short(c.placement.name),
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: process.execPath,
          args: [tokenPlugin, c.placement.name, c.placement.region],
          env,
          interactiveMode: 'Never',
        },
      },
    })),
    contexts: clusters.map((c) => ({
      name: short(c.placement.name),
      context: { cluster: short(c.placement.name), user: short(c.placement.name) },
    })),
    'current-context': clusters[0] ? short(clusters[0].placement.name) : '',
  });
}

/** Keeps `path` in step with the live clusters; returns a stop function. */
export function keepKubeconfig(
  path: string,
  list: () => SimClusterHandle[],
  mesh: string,
  awsEnv: Record<string, string>,
): () => void {
  let last = '';
  const tick = async () => {
    const text = kubeconfigFor(list(), mesh, awsEnv);
    if (text !== last) {
      last = text;
      await writeFile(path, text, { mode: 0o600 });
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), 1000);
  return () => clearInterval(timer);
}
