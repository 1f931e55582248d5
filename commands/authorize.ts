// Who may run what, where. Decided by Slack IDs (never display names):
// - help: anyone, anywhere (it only lists commands and the mesh's cluster names), so people can find the bot;
// - status, ping, up --dry-run: anyone, in an allowed channel (they change nothing);
// - up, down, scale, cancel, and changing the watch (`watch on|off|every`): mesh admins only, in an allowed channel, so every change is seen by the team
//   (whoever asked a read-only job, such as `status --wait`, may cancel that job too);
// Slash commands and button clicks are decided here alike: src/slack/gate.ts calls it for both, after refusing
// people of another workspace or enterprise (a channel shared through Slack Connect).
import { isMutating, type MeshCommand } from '../src/mesh-command.ts';
import { describeCommand } from './parse.ts';

export type Decision = { allowed: true } | { allowed: false; reason: string };

export interface AccessPolicy {
  /** Slack user IDs (U.../W...). */
  admins: readonly string[];
  /** Channel IDs (C.../G...). */
  channels: readonly string[];
}

export interface AccessRequest {
  userId: string;
  channelId: string;
  command: MeshCommand;
  /** For cancel: the job it names, so that whoever asked a read-only job may cancel it themselves. */
  job?: { userId: string; mutating: boolean };
}

export function adminOnly(cmd: MeshCommand): boolean {
  return isMutating(cmd) || cmd.kind === 'cancel' || (cmd.kind === 'watch' && cmd.action !== 'show');
}

const mention = (ids: readonly string[], wrap: (id: string) => string, none: string) =>
  ids.length ? ids.map(wrap).join(', ') : none;

export function authorize(req: AccessRequest, policy: AccessPolicy): Decision {
  const { command } = req;
  if (command.kind === 'help') return { allowed: true };
  const shown = `\`${describeCommand(command)}\``;
  if (!policy.channels.includes(req.channelId)) {
    const where = mention(policy.channels, (c) => `<#${c}>`, 'no channel (MESH_CHANNELS is empty)');
    return {
      allowed: false,
      reason: `${shown} runs only in ${where}; this channel is not one of them, so run it there`,
    };
  }
  const ownReadOnlyJob =
    command.kind === 'cancel' && req.job !== undefined && !req.job.mutating && req.job.userId === req.userId;
  if (adminOnly(command) && !ownReadOnlyJob && !policy.admins.includes(req.userId)) {
    const who = mention(policy.admins, (u) => `<@${u}>`, 'none configured (MESH_ADMINS)');
    return { allowed: false, reason: `only mesh admins may run \`/mesh ${command.kind}\`; admins: ${who}` };
  }
  return { allowed: true };
}
