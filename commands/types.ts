// One subcommand's parser, checks and help text, as every module of commands/ implements it.
import type { MeshSpec } from '../src/config/spec-types.ts';
import type { CommandKind, CommandOf, ParseResult } from '../src/mesh-command.ts';

// The command types travel through Redis, so they live in src/; re-exported for the subcommand modules.
export type { CommandKind, CommandOf, MeshCommand, ParseResult, PingTarget } from '../src/mesh-command.ts';

/** One subcommand: its parser, its checks and its help text live together. */
export interface Subcommand<K extends CommandKind> {
  name: K;
  /** The right form, e.g. "/mesh scale <cluster> <replicas>". */
  usage: string;
  /** One line: what it does. */
  summary: string;
  /** Longer help for `/mesh help <name>`; may mention the spec's clusters. */
  details(spec: MeshSpec): string;
  example(spec: MeshSpec): string;
  /** `args` are the words after the subcommand, already tokenised. */
  parse(args: string[], spec: MeshSpec): ParseResult;
  describe(cmd: CommandOf<K>): string;
}
