// `/mesh help` as Block Kit: the commands, and what they mean for whoever asked: their role (admin or not) and
// the channels where /mesh runs.
import type { KnownBlock } from '@slack/types';
import { context, section } from './format.ts';

export interface HelpViewer {
  userId: string;
  channelId: string;
  admins: readonly string[];
  channels: readonly string[];
}

export function helpBlocks(mesh: string, text: string, viewer: HelpViewer): KnownBlock[] {
  const isAdmin = viewer.admins.includes(viewer.userId);
  const admins = viewer.admins.map((a) => `<@${a}>`).join(', ') || 'none configured';
  const role = isAdmin
    ? ':key: You are a *mesh admin*: you may run every command, and cancel any job.'
    : `:bust_in_silhouette: You are not a mesh admin: you may run \`status\`, \`ping\`, \`watch\` and \`up --dry-run\`, and cancel your own read-only jobs. \`up\`, \`down\`, \`scale\`, \`cancel\` and changing the watch are for admins: ${admins}.`;
  const where = viewer.channels.map((c) => `<#${c}>`).join(', ') || 'no channel (MESH_CHANNELS is empty)';
  const here = viewer.channels.includes(viewer.channelId) ? 'including this one' : 'not this one, so run it there';
  return [
    { type: 'header', text: { type: 'plain_text', text: `meshops: mesh ${mesh}`.slice(0, 150) } },
    section(text),
    { type: 'divider' },
    section(role),
    section(`:round_pushpin: \`/mesh\` runs in ${where} (${here}).`),
    context('`/mesh help COMMAND` explains one command; every job posts its progress in a thread under its message.'),
  ];
}
