// The plan as the thread shows it before anything runs: the tree, and per leaf what was observed.
import type { Observation, Step, StepContext } from './step.ts';
import { allSteps, leaves } from './step.ts';

export type Observations = Map<string, Observation>;

/** Observes every leaf that can, side by side; a failed observation reads as "unknown", never fails the plan. */
export async function observePlan(root: Step, ctx: StepContext): Promise<Observations> {
  const out: Observations = new Map();
  await Promise.all(
    leaves(root).map(async (leaf) => {
      if (!leaf.observe) return;
      try {
        out.set(leaf.id, await leaf.observe(ctx));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        out.set(leaf.id, { state: 'repair', detail: `could not check: ${why}` });
      }
    }),
  );
  return out;
}

const MARK: Record<Observation['state'], string> = {
  ok: 'ok',
  missing: 'will create',
  repair: 'will repair',
  delete: 'will delete',
  gone: 'gone',
  wait: 'will wait for',
  exists: 'exists',
  partial: 'will complete',
};

/** Nothing for this leaf to change. */
export function isSettled(o: Observation | undefined): boolean {
  return o?.state === 'ok' || o?.state === 'exists' || o?.state === 'gone';
}

export function renderPlan(root: Step, observed: Observations): string {
  const lines: string[] = [];
  const titles = new Map(allSteps(root).map((s) => [s.id, s.title]));
  // A dependency across branches, said where it holds: "after <that step>".
  const afterText = (step: Step) =>
    step.after?.length ? `; after: ${step.after.map((id) => titles.get(id) ?? id).join('; ')}` : '';
  const walk = (step: Step, depth: number) => {
    const pad = '  '.repeat(depth);
    if (step.kind === 'leaf') {
      const o = observed.get(step.id);
      const detail = o?.detail ? (o.state === 'wait' ? ` ${o.detail}` : ` (${o.detail})`) : '';
      const what = o ? `${MARK[o.state]}${detail}` : 'will check';
      lines.push(`${pad}• ${step.title}: ${what}${afterText(step)}`);
      return;
    }
    const how = step.kind === 'parallel' ? 'side by side' : 'in order';
    lines.push(`${pad}${step.title} (${step.children.length} ${how}${afterText(step)})`);
    for (const child of step.children) walk(child, depth + 1);
  };
  walk(root, 0);
  return lines.join('\n');
}

/** True when every observed leaf already exists: `up` on a finished mesh has nothing to do. */
export function nothingToDo(root: Step, observed: Observations): boolean {
  return leaves(root).every((l) => isSettled(observed.get(l.id)));
}
