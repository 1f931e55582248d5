// The `/mesh up` plan message: what the up will create or repair, what the mesh costs once up, and two buttons,
// Apply and Cancel. Its value is the one-time nonce of the down confirmation (down-confirm.ts): the first click
// claims it (SET NX), so Apply starts one up however often it is pressed. At expiry a delayed job claims it too
// and edits the message to say so (src/queue/timers.ts), so an expired plan reads as expired without a click.
import { randomUUID } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { confirmValue } from './down-confirm.ts';
import { codeBlock, context, minutes, safeText, section, utcTime } from './format.ts';

export const APPLY_ACTION = 'mesh_up_apply';
export const APPLY_CANCEL_ACTION = 'mesh_up_cancel';
/** The sections the message keeps once a click or the expiry settled it. */
export const PLAN_BLOCKS = ['plan', 'cost'] as const;
/** At most this many steps by name; the full plan is in the plan job's thread. */
const LISTED_STEPS = 25;

export interface ApplyPlan {
  mesh: string;
  /** Titles of the steps that will create, repair or wait for something. */
  todo: string[];
  total: number;
  /** The hourly cost table, as text. */
  cost: string;
  now: number;
  ttlMs: number;
  nonce?: string;
}

export function applyBlocks(p: ApplyPlan): KnownBlock[] {
  const value = confirmValue(p.mesh, p.now, p.nonce ?? randomUUID(), p.ttlMs);
  const listed = p.todo.slice(0, LISTED_STEPS).map((t) => `• ${t}`);
  if (p.todo.length > LISTED_STEPS)
    listed.push(`… and ${p.todo.length - LISTED_STEPS} more (the full plan is in the thread)`);
  const head = `:building_construction: *Apply the plan for mesh ${p.mesh}?* ${p.todo.length} of ${p.total} steps will create, repair or wait for something:`;
  return [
    { ...section(`${head}\n${listed.join('\n')}`), block_id: 'plan' },
    { ...section(`Estimated cost once up:\n${codeBlock(p.cost)}`), block_id: 'cost' },
    {
      type: 'actions',
      block_id: 'up_apply',
      elements: [
        {
          type: 'button',
          action_id: APPLY_ACTION,
          style: 'primary' as const,
          text: { type: 'plain_text', text: 'Apply' },
          value,
        },
        { type: 'button', action_id: APPLY_CANCEL_ACTION, text: { type: 'plain_text', text: 'Cancel' }, value },
      ],
    },
    context(
      `Only mesh admins can press these; they expire in ${minutes(p.ttlMs)} (at ${utcTime(p.now + p.ttlMs)}). Scripts: \`/mesh up --confirm ${p.mesh}\`.`,
    ),
  ];
}

/** What the message says once nobody pressed Apply in time. */
export function expiredOutcome(mesh: string, exp: number): string {
  return `:hourglass: This plan expired at ${utcTime(exp)} without an Apply: nothing was changed. Run \`/mesh up\` again for a fresh plan of mesh *${mesh}*.`;
}

/** Posts the plan message; returns its ts, its nonce and the blocks it keeps once settled. */
export async function postApplyConfirmation(
  slack: WebClient,
  channel: string,
  p: Omit<ApplyPlan, 'nonce'>,
): Promise<{ ts: string; nonce: string; exp: number; kept: object[] }> {
  const nonce = randomUUID();
  const blocks = applyBlocks({ ...p, nonce });
  const posted = await slack.chat.postMessage({
    channel,
    text: safeText(`Apply the plan for mesh ${p.mesh}? An admin must press Apply within ${minutes(p.ttlMs)}.`),
    blocks,
  });
  const kept = blocks.filter((b) => 'block_id' in b && (PLAN_BLOCKS as readonly string[]).includes(b.block_id ?? ''));
  return { ts: posted.ts as string, nonce, exp: p.now + p.ttlMs, kept };
}
