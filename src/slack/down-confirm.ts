// The `/mesh down` confirmation button: valid for 5 minutes, for this mesh only. Slack signs the click, so the
// value cannot be forged; the expiry stops an old message from deleting a mesh built since.
import type { KnownBlock } from '@slack/types';
import { context, section } from './format.ts';

export const DOWN_CONFIRM_ACTION = 'mesh_down_confirm';
export const CONFIRM_TTL_MS = 5 * 60 * 1000;

export function confirmValue(mesh: string, now: number): string {
  return JSON.stringify({ mesh, exp: now + CONFIRM_TTL_MS });
}

export function readConfirmValue(value: string, mesh: string, now: number): { ok: true } | { ok: false; reason: string } {
  let parsed: { mesh?: unknown; exp?: unknown };
  try {
    parsed = JSON.parse(value) as { mesh?: unknown; exp?: unknown };
  } catch {
    return { ok: false, reason: 'This button is not a valid confirmation.' };
  }
  if (parsed.mesh !== mesh) return { ok: false, reason: `This confirmation is for mesh "${String(parsed.mesh)}", not "${mesh}".` };
  if (typeof parsed.exp !== 'number' || now > parsed.exp) return { ok: false, reason: 'This confirmation expired (buttons are valid for 5 minutes).' };
  return { ok: true };
}

/** The confirmation message: what will be deleted, what it costs now, and the button (with Slack's confirm dialog). */
export function confirmBlocks(mesh: string, inventory: string, hourlyCost: string, now: number): KnownBlock[] {
  return [
    section(`:warning: *Delete mesh ${mesh}?* This removes everything it owns:\n${inventory}`),
    section(`It costs about *${hourlyCost}/hour* now.`),
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: DOWN_CONFIRM_ACTION,
          style: 'danger' as const,
          text: { type: 'plain_text', text: `Delete ${mesh}` },
          value: confirmValue(mesh, now),
          confirm: {
            title: { type: 'plain_text', text: 'Delete the mesh?' },
            text: { type: 'mrkdwn', text: `Every cluster, node group, NAT gateway, peering and VPC of *${mesh}* will be deleted.` },
            confirm: { type: 'plain_text', text: 'Delete' },
            deny: { type: 'plain_text', text: 'Keep it' },
          },
        },
      ],
    },
    context(`Only mesh admins can press this; it expires in 5 minutes. Scripts: \`/mesh down --confirm ${mesh}\`.`),
  ];
}
