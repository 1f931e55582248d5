// What a parsed /mesh command is. Plain JSON: it travels in job data through Redis.
import type { MeshSpec } from '../src/config/spec-types.ts';

export type PingTarget =
  | { kind: 'service'; cluster: string }
  | { kind: 'pod'; cluster: string; ordinal: number }
  | { kind: 'all' };

export type MeshCommand =
  | { kind: 'help'; topic?: string }
  | { kind: 'up'; dryRun: boolean }
  | { kind: 'status'; wait: boolean }
  | { kind: 'scale'; cluster: string; replicas: number }
  | { kind: 'ping'; from: string; target: PingTarget }
  | { kind: 'down'; confirm?: string }
  | { kind: 'cancel'; jobId?: string };

export type CommandKind = MeshCommand['kind'];
export type CommandOf<K extends CommandKind> = Extract<MeshCommand, { kind: K }>;

/** A command, or what was wrong and the right form (shown to the user as is). */
export type ParseResult = { ok: true; command: MeshCommand } | { ok: false; error: string; usage: string };

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
