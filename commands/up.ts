// /mesh up: build the mesh, or finish and repair it (every step is "ensure"), or only show the plan.
import { splitArgs, usageError } from './args.ts';
import type { Subcommand } from './types.ts';

const USAGE = '/mesh up [--dry-run]';

export const up: Subcommand<'up'> = {
  name: 'up',
  usage: USAGE,
  summary: 'build the mesh, or finish and repair it; `--dry-run` only shows the plan',
  details: (spec) =>
    `Creates what is missing for mesh *${spec.name}* (VPCs, peering, IAM, EKS, Calico, federation, workloads) and ` +
    'leaves what exists alone, so it is safe to run again. `--dry-run` posts the plan and changes nothing.',
  example: () => '/mesh up --dry-run',
  parse(args) {
    const split = splitArgs('up', args, { '--dry-run': { takesValue: false, hint: '--dry-run' } });
    if (!split.ok) return usageError(split.error, USAGE, '/mesh up --dry-run');
    if (split.positional.length > 0) {
      return usageError(
        `\`/mesh up\` takes no arguments; got \`${split.positional.join(' ')}\``,
        USAGE,
        '/mesh up --dry-run',
      );
    }
    return { ok: true, command: { kind: 'up', dryRun: split.flags['--dry-run'] === true } };
  },
  describe: (cmd) => (cmd.dryRun ? '/mesh up --dry-run' : '/mesh up'),
};
