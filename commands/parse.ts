// Dispatch for /mesh: the first word picks the subcommand module, which parses and checks the rest.
import type { MeshSpec } from '../src/config/spec-types.ts';
import { nearest } from '../src/config/suggest.ts';
import { usageError, words } from './args.ts';
import { cancel } from './cancel.ts';
import { down } from './down.ts';
import { makeHelp } from './help.ts';
import { ping } from './ping.ts';
import { scale } from './scale.ts';
import { status } from './status.ts';
import type { CommandKind, CommandOf, MeshCommand, ParseResult, Subcommand } from './types.ts';
import { up } from './up.ts';
import { watch } from './watch.ts';

export type { MeshCommand, ParseResult } from './types.ts';

const help = makeHelp(() => SUBCOMMANDS);

/** In the order help lists them. */
export const SUBCOMMANDS: ReadonlyArray<Subcommand<CommandKind>> = [
  up,
  status,
  scale,
  ping,
  down,
  cancel,
  watch,
  help,
] as unknown as ReadonlyArray<Subcommand<CommandKind>>;

/** Words people reach for that are other commands here: suggested, never run. */
const SYNONYMS: Record<string, CommandKind> = {
  create: 'up',
  apply: 'up',
  deploy: 'up',
  plan: 'up',
  delete: 'down',
  destroy: 'down',
  teardown: 'down',
  remove: 'down',
  stop: 'cancel',
  abort: 'cancel',
  kill: 'cancel',
  state: 'status',
  info: 'status',
  check: 'status',
  test: 'ping',
  monitor: 'watch',
  alerts: 'watch',
  '?': 'help',
  '--help': 'help',
  '-h': 'help',
};

const OVERVIEW = `/mesh ${SUBCOMMANDS.map((c) => c.name).join('|')} ...`;

/** Parses the text after `/mesh`. Empty text is help; subcommands are case-insensitive. */
export function parseMeshCommand(text: string, spec: MeshSpec): ParseResult {
  const [first, ...args] = words(text);
  if (first === undefined) return { ok: true, command: { kind: 'help' } };
  const name = first.toLowerCase();
  if (name === '--help' || name === '-h' || name === '?') return help.parse(args, spec);
  const sub = SUBCOMMANDS.find((c) => c.name === name);
  if (sub) return sub.parse(args, spec);
  const guess =
    SYNONYMS[name] ??
    nearest(
      name,
      SUBCOMMANDS.map((c) => c.name),
    );
  const hint = guess ? `; did you mean \`${guess}\`?` : '.';
  return usageError(`\`${first}\` is not a /mesh command${hint} Try \`/mesh help\`.`, OVERVIEW);
}

/** The command as the user would type it, e.g. "/mesh scale iad 2". */
export function describeCommand(cmd: MeshCommand): string {
  const sub = SUBCOMMANDS.find((c) => c.name === cmd.kind) as Subcommand<typeof cmd.kind> | undefined;
  return sub ? (sub.describe as (c: CommandOf<typeof cmd.kind>) => string)(cmd) : `/mesh ${cmd.kind}`;
}

/** Every command with one line and an example, the mesh name and its clusters; or one command in detail. */
export function helpText(spec: MeshSpec, topic?: string): string {
  return help.text(spec, topic);
}
