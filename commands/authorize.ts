// Who may run what, where. Decided by Slack IDs (never display names):
// - help: anyone, anywhere (it only lists commands and the mesh's cluster names), so people can find the bot;
// - status, ping, up --dry-run: anyone, in an allowed channel (they change nothing);
// - up, down, scale, cancel: mesh admins only, in an allowed channel, so every change is seen by the team.
import { isMutating, type MeshCommand } from '../src/mesh-command.ts';
import { describeCommand } from './parse.ts';

export type Decision = { allowed: true } | { allowed: false; reason: string };

export interface AccessPolicy {
  /** Slack user IDs (U.../W...). */
  admins: readonly string[];
  /** Channel IDs (C.../G...). */
  channels: readonly string[];
}

export function adminOnly(cmd: MeshCommand): boolean {
  return isMutating(cmd) || cmd.kind === 'cancel';
}

const mention = (ids: readonly string[], wrap: (id: string) => string, none: string) =>
  ids.length ? ids.map(wrap).join(', ') : none;

export function authorize(
  req: { userId: string; channelId: string; command: MeshCommand },
  policy: AccessPolicy,
): Decision {
  const { command } = req;
  if (command.kind === 'help') return { allowed: true };
  const shown = `\`${describeCommand(command)}\``;
  if (!policy.channels.includes(req.channelId)) {
    const where = mention(policy.channels, (c) => `<#${c}>`, 'no channel (MESH_CHANNELS is empty)');
    return { allowed: false, reason: `${shown} runs only in ${where}; this channel is not one of them, so run it there` };
  }
  if (adminOnly(command) && !policy.admins.includes(req.userId)) {
    const who = mention(policy.admins, (u) => `<@${u}>`, 'none configured (MESH_ADMINS)');
    return { allowed: false, reason: `only mesh admins may run \`/mesh ${command.kind}\`; admins: ${who}` };
  }
  return { allowed: true };
}
