// /mesh up: show the plan and wait for an admin's Apply, or with --confirm build the mesh (or finish and repair it:
// every step is "ensure") at once; --dry-run only shows the plan.
import type { MeshSpec } from '../src/config/spec-types.ts';
import { splitArgs, usageError } from './args.ts';
import type { Subcommand } from './types.ts';

const USAGE = '/mesh up [--dry-run] [--confirm MESH-NAME]';
const example = (spec: MeshSpec) => `/mesh up --confirm ${spec.name}`;

export const up: Subcommand<'up'> = {
  name: 'up',
  usage: USAGE,
  summary: 'build the mesh, or finish and repair it; shows the plan and waits for *Apply* unless `--confirm MESH-NAME`',
  details: (spec) =>
    `Creates what is missing for mesh *${spec.name}* (VPCs, peering, IAM, EKS, Calico, federation, workloads) and ` +
    'leaves what exists alone, so it is safe to run again. It first posts the plan (what it will create or repair, ' +
    'and the cost) with *Apply* and *Cancel*: an admin presses Apply within 5 minutes to run it. ' +
    `\`--confirm ${spec.name}\` applies at once (scripts); \`--dry-run\` posts the plan and asks nothing.`,
  example,
  parse(args, spec) {
    const split = splitArgs('up', args, {
      '--dry-run': { takesValue: false, hint: '--dry-run' },
      '--confirm': { takesValue: true, hint: '--confirm MESH-NAME' },
    });
    if (!split.ok) return usageError(split.error, USAGE, example(spec));
    if (split.positional.length > 0) {
      const got = split.positional.join(' ');
      const hint = split.positional[0] === spec.name ? `; to apply at once, write \`${example(spec)}\`` : '';
      return usageError(`\`/mesh up\` takes no arguments; got \`${got}\`${hint}`, USAGE, example(spec));
    }
    const dryRun = split.flags['--dry-run'] === true;
    const confirm = split.flags['--confirm'];
    if (confirm === undefined) return { ok: true, command: { kind: 'up', dryRun } };
    if (dryRun) {
      return usageError(
        '`--dry-run` changes nothing and `--confirm` applies at once: use one of them',
        USAGE,
        '/mesh up --dry-run',
      );
    }
    if (confirm !== spec.name) {
      return usageError(
        `\`--confirm\` must be this mesh's name, \`${spec.name}\`; got \`${String(confirm)}\``,
        USAGE,
        example(spec),
      );
    }
    return { ok: true, command: { kind: 'up', dryRun: false, confirm } };
  },
  describe: (cmd) =>
    cmd.dryRun ? '/mesh up --dry-run' : cmd.confirm ? `/mesh up --confirm ${cmd.confirm}` : '/mesh up',
};
