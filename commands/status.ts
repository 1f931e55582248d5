// /mesh status: what exists and whether the clusters are in sync; `--wait` keeps checking until they are.
import { splitArgs, usageError } from './args.ts';
import type { Subcommand } from './types.ts';

const USAGE = '/mesh status [--wait]';

export const status: Subcommand<'status'> = {
  name: 'status',
  usage: USAGE,
  summary: 'show each cluster and whether the mesh is in sync; `--wait` waits until it is',
  details: (spec) =>
    `Reports, per cluster of mesh *${spec.name}*, the AWS resources, nodes, Calico and each remote cluster's sync ` +
    'state, and what is not ready yet. `--wait` keeps checking (bounded) until everything is in sync.',
  example: () => '/mesh status --wait',
  parse(args) {
    const split = splitArgs('status', args, { '--wait': { takesValue: false, hint: '--wait' } });
    if (!split.ok) return usageError(split.error, USAGE, '/mesh status');
    if (split.positional.length > 0) {
      return usageError(
        `\`/mesh status\` takes no arguments; got \`${split.positional.join(' ')}\``,
        USAGE,
        '/mesh status --wait',
      );
    }
    return { ok: true, command: { kind: 'status', wait: split.flags['--wait'] === true } };
  },
  describe: (cmd) => (cmd.wait ? '/mesh status --wait' : '/mesh status'),
};
