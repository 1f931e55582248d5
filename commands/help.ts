// /mesh help [command]: every command with one line and an example, or one command in detail.
import type { MeshSpec } from '../src/config/spec-types.ts';
import { nearest } from '../src/config/suggest.ts';
import { splitArgs, usageError } from './args.ts';
import type { CommandKind, ParseResult, Subcommand } from './types.ts';

const USAGE = '/mesh help [COMMAND]';

/** The subcommands in the order help lists them; set by parse.ts (it owns the registry). */
type Registry = ReadonlyArray<Subcommand<CommandKind>>;

export function makeHelp(all: () => Registry): Subcommand<'help'> & { text(spec: MeshSpec, topic?: string): string } {
  const names = () => all().map((c) => c.name as string);
  const text = (spec: MeshSpec, topic?: string): string => {
    const one = topic ? all().find((c) => c.name === topic) : undefined;
    if (one) {
      return [`*\`${one.usage}\`*: ${one.summary}`, one.details(spec), `Example: \`${one.example(spec)}\``].join('\n');
    }
    const clusters = spec.clusters.map((c) => `${c.name} (${c.region})`).join(', ');
    return [
      `*/mesh* runs mesh *${spec.name}*: clusters ${clusters}.`,
      ...all().map((c) => `• \`${c.usage}\`: ${c.summary}. e.g. \`${c.example(spec)}\``),
      'Admins only: `up` (except `--dry-run`), `down`, `scale`, `cancel`, `watch on|off|every`. `/mesh help COMMAND` for details.',
    ].join('\n');
  };
  return {
    name: 'help',
    usage: USAGE,
    summary: 'list the commands, or explain one',
    details: () => 'Lists every command with an example; `/mesh help COMMAND` explains one in detail.',
    example: () => '/mesh help scale',
    parse(args): ParseResult {
      const split = splitArgs('help', args, {});
      if (!split.ok) return usageError(split.error, USAGE, '/mesh help scale');
      const [topicWord, ...extra] = split.positional;
      if (extra.length > 0)
        return usageError(
          `\`/mesh help\` takes at most one command; \`${extra.join(' ')}\` is extra`,
          USAGE,
          '/mesh help scale',
        );
      if (topicWord === undefined) return { ok: true, command: { kind: 'help' } };
      const topic = topicWord.toLowerCase();
      if (!names().includes(topic)) {
        const guess = nearest(topic, names());
        return usageError(
          `\`${topicWord}\` is not a command${guess ? `; did you mean \`${guess}\`?` : ''} (commands: ${names().join(', ')})`,
          USAGE,
          '/mesh help scale',
        );
      }
      return { ok: true, command: { kind: 'help', topic } };
    },
    describe: (cmd) => (cmd.topic ? `/mesh help ${cmd.topic}` : '/mesh help'),
    text,
  };
}
