// /mesh down [--confirm <mesh-name>]: delete everything the mesh made. Without --confirm the bot first lists
// what it would delete and asks; with it, the name must match so a pasted command cannot hit the wrong mesh.

import type { MeshSpec } from '../src/config/spec-types.ts';
import { splitArgs, usageError } from './args.ts';
import type { Subcommand } from './types.ts';

const USAGE = '/mesh down [--confirm MESH-NAME]';
const example = (spec: MeshSpec) => `/mesh down --confirm ${spec.name}`;

export const down: Subcommand<'down'> = {
  name: 'down',
  usage: USAGE,
  summary: 'delete everything the mesh made; asks first unless `--confirm MESH-NAME`',
  details: (spec) =>
    `Deletes what mesh *${spec.name}* made, found by its tags and labels, in reverse order; safe to run again. ` +
    `Without \`--confirm\` it lists what would go and asks for a confirmation; \`--confirm ${spec.name}\` skips the question.`,
  example,
  parse(args, spec) {
    const split = splitArgs('down', args, { '--confirm': { takesValue: true, hint: '--confirm MESH-NAME' } });
    if (!split.ok) return usageError(split.error, USAGE, example(spec));
    if (split.positional.length > 0) {
      const got = split.positional.join(' ');
      const hint = split.positional[0] === spec.name ? `; to confirm, write \`${example(spec)}\`` : '';
      return usageError(`\`/mesh down\` takes no arguments; got \`${got}\`${hint}`, USAGE, example(spec));
    }
    const confirm = split.flags['--confirm'];
    if (confirm === undefined) return { ok: true, command: { kind: 'down' } };
    if (confirm !== spec.name) {
      return usageError(
        `\`--confirm\` must be this mesh's name, \`${spec.name}\`; got \`${String(confirm)}\``,
        USAGE,
        example(spec),
      );
    }
    return { ok: true, command: { kind: 'down', confirm } };
  },
  describe: (cmd) => (cmd.confirm ? `/mesh down --confirm ${cmd.confirm}` : '/mesh down'),
};
