// `/mesh status` as one message read at a glance: a verdict line, then per cluster its AWS and Kubernetes lines.
import type { ClusterStatus, Health, StatusLine } from './types.ts';

const MARK: Record<Health, string> = {
  ok: ':large_green_circle:',
  warning: ':large_yellow_circle:',
  failing: ':red_circle:',
  absent: ':white_circle:',
};

export interface MeshVerdict {
  state: 'none' | 'healthy' | 'partial' | 'degraded';
  headline: string;
}

export function verdict(mesh: string, clusters: ClusterStatus[], meshLines: StatusLine[] = []): MeshVerdict {
  const lines = [...meshLines, ...clusters.flatMap((c) => [...c.aws, ...c.kube])];
  const count = (h: Health) => lines.filter((l) => l.health === h).length;
  const absent = count('absent');
  const present = lines.length - absent;
  if (present === 0) {
    return {
      state: 'none',
      headline: `No mesh *${mesh}* exists in this account: nothing tagged meshops:mesh=${mesh} was found. Run \`/mesh up\` to build it (\`/mesh up --dry-run\` shows the plan and the cost first).`,
    };
  }
  const failing = count('failing');
  const warning = count('warning');
  if (absent > 0) {
    return {
      state: 'partial',
      headline: `Mesh *${mesh}* is half-built or half-deleted: ${present} parts exist, ${absent} are missing${failing ? `, ${failing} failing` : ''}. Run \`/mesh up\` to finish building it, or \`/mesh down\` to remove what is left.`,
    };
  }
  if (failing > 0 || warning > 0) {
    return {
      state: 'degraded',
      headline: `Mesh *${mesh}*: ${failing} failing, ${warning} warning, ${lines.length - failing - warning} ok.`,
    };
  }
  return { state: 'healthy', headline: `Mesh *${mesh}* is healthy: all ${lines.length} checks ok.` };
}

export function renderLines(lines: StatusLine[]): string {
  return lines.map((l) => `${MARK[l.health]} ${l.subject}: ${l.detail}`).join('\n');
}

/** One section per cluster (a section holds at most 3000 characters; the reporter trims beyond). */
export function renderClusters(clusters: ClusterStatus[]): string[] {
  return clusters.map((c) => {
    const parts = [`*${c.cluster}* (${c.region})`, '_AWS_', renderLines(c.aws)];
    if (c.kube.length) parts.push('_Kubernetes_', renderLines(c.kube));
    return parts.join('\n');
  });
}

export function isAllOk(clusters: ClusterStatus[], meshLines: StatusLine[] = []): boolean {
  return [...meshLines, ...clusters.flatMap((c) => [...c.aws, ...c.kube])].every((l) => l.health === 'ok');
}
