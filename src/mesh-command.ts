// What a parsed /mesh command is. Plain JSON: it travels in job data through Redis, so it lives in the lower
// layer; the parsers and help texts that produce it live in commands/.

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
  | { kind: 'cancel'; jobId?: string }
  | { kind: 'watch'; action: 'show' | 'on' | 'off' | 'every'; everyMs?: number };

export type CommandKind = MeshCommand['kind'];
export type CommandOf<K extends CommandKind> = Extract<MeshCommand, { kind: K }>;

/** A command, or what was wrong and the right form (shown to the user as is). */
export type ParseResult = { ok: true; command: MeshCommand } | { ok: false; error: string; usage: string };

/** Commands that change the mesh (they take the mesh lock): up unless --dry-run, down, scale. */
export function isMutating(cmd: MeshCommand): boolean {
  return cmd.kind === 'down' || cmd.kind === 'scale' || (cmd.kind === 'up' && !cmd.dryRun);
}
