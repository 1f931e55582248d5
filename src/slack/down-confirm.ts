// The `/mesh down` confirmation: what will be deleted, what it costs now, and two buttons, Delete and Keep it.
// The button value carries a one-time nonce: the first click claims it in Redis (SET NX), so a second click, a
// double click or a second admin cannot start a second teardown. It expires after 5 minutes, so an old message
// cannot delete a mesh built since. Slack signs the click, so the value cannot be forged. The `/mesh up` Apply
// button (apply-confirm.ts) uses the same value and claim, under its own kind.
import { randomUUID } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { context, minutes, safeFileText, safeText, section, utcTime } from './format.ts';

export const DOWN_CONFIRM_ACTION = 'mesh_down_confirm';
export const DOWN_KEEP_ACTION = 'mesh_down_keep';
export const CONFIRM_TTL_MS = 5 * 60 * 1000;
/** Above this the inventory shows counts per region, and the full list goes up as a file. */
export const INVENTORY_INLINE_LIMIT = 2400;

export interface ConfirmValue {
  mesh: string;
  exp: number;
  nonce: string;
}

export function confirmValue(
  mesh: string,
  now: number,
  nonce: string = randomUUID(),
  ttlMs: number = CONFIRM_TTL_MS,
): string {
  return JSON.stringify({ mesh, exp: now + ttlMs, nonce } satisfies ConfirmValue);
}

/** Which confirmation a nonce belongs to: each kind has its own keys. */
export type ConfirmKind = 'down' | 'up';

/** What used a confirmation: a click (delete, keep, apply, cancel) or its expiry. */
export interface ConfirmClaim {
  userId: string;
  action: string;
}

const claimKey = (prefix: string, kind: ConfirmKind, nonce: string) => `${prefix}:${kind}-confirm:${nonce}`;

/** An expired value still names its nonce and expiry, so the click can settle the message as the expiry would. */
export type ConfirmCheck =
  | { ok: true; value: ConfirmValue }
  | { ok: false; expired: boolean; reason: string; value?: ConfirmValue };

export function readConfirmValue(value: string, mesh: string, now: number): ConfirmCheck {
  let parsed: { mesh?: unknown; exp?: unknown; nonce?: unknown };
  try {
    parsed = JSON.parse(value) as { mesh?: unknown; exp?: unknown; nonce?: unknown };
  } catch {
    return { ok: false, expired: false, reason: 'This button is not a valid confirmation.' };
  }
  if (parsed.mesh !== mesh)
    return {
      ok: false,
      expired: false,
      reason: `This confirmation is for mesh "${String(parsed.mesh)}", not "${mesh}".`,
    };
  if (typeof parsed.nonce !== 'string' || parsed.nonce.length < 16)
    return { ok: false, expired: false, reason: 'This button is not a valid confirmation.' };
  if (typeof parsed.exp !== 'number' || now > parsed.exp)
    return {
      ok: false,
      expired: true,
      reason: 'This confirmation expired (its buttons are valid for a few minutes only).',
      value: typeof parsed.exp === 'number' ? { mesh, exp: parsed.exp, nonce: parsed.nonce } : undefined,
    };
  return { ok: true, value: { mesh, exp: parsed.exp, nonce: parsed.nonce } };
}

/**
 * Claims a confirmation for one click (or for its expiry). Returns undefined when this claim got it, or who used it
 * before and how. The key outlives the button, so a click after a restart cannot use it again either.
 */
export async function claimConfirmation(
  redis: Redis,
  prefix: string,
  nonce: string,
  claim: ConfirmClaim,
  kind: ConfirmKind = 'down',
  ttlMs: number = CONFIRM_TTL_MS,
): Promise<ConfirmClaim | undefined> {
  const key = claimKey(prefix, kind, nonce);
  const won = await redis.set(key, JSON.stringify(claim), 'PX', Math.max(ttlMs * 2, CONFIRM_TTL_MS * 2), 'NX');
  if (won === 'OK') return undefined;
  const held = await redis.get(key);
  try {
    return JSON.parse(held ?? '{}') as ConfirmClaim;
  } catch {
    return { userId: 'someone', action: kind === 'down' ? 'delete' : 'apply' };
  }
}

/** Gives a claimed confirmation back (its job could not be queued), so the button works again. */
export async function releaseConfirmation(
  redis: Redis,
  prefix: string,
  nonce: string,
  kind: ConfirmKind = 'down',
): Promise<void> {
  await redis.del(claimKey(prefix, kind, nonce));
}

/** A long inventory as counts per region: each "N thing(s) (id, id, ...)" without its list of IDs. */
export function inventoryCounts(inventory: string): string {
  return inventory
    .split('\n')
    .map((line) => {
      const peerings = /^• peering: (.*)$/.exec(line);
      if (peerings) return `• peering: ${peerings[1]!.split(/\), /).length} connection(s)`;
      const roles = /^• IAM roles: (.*)$/.exec(line);
      if (roles) return `• IAM roles: ${roles[1]!.split(', ').length}`;
      return line.replace(/ \([^()]*\)/g, '');
    })
    .join('\n');
}

/** The confirmation message: what will be deleted, what it costs now, and the buttons (Delete with Slack's dialog). */
export function confirmBlocks(
  mesh: string,
  inventory: string,
  hourlyCost: string,
  now: number,
  nonce: string = randomUUID(),
  ttlMs: number = CONFIRM_TTL_MS,
  /** What the figure leaves out, said after it (load balancers' use-based charges, say). */
  costNote?: string,
): KnownBlock[] {
  const long = inventory.length > INVENTORY_INLINE_LIMIT;
  const shown = long ? `${inventoryCounts(inventory)}\n_The full list is attached in the thread._` : inventory;
  const value = confirmValue(mesh, now, nonce, ttlMs);
  return [
    {
      ...section(`:warning: *Delete mesh ${mesh}?* This removes everything it owns:\n${shown}`),
      block_id: 'inventory',
    },
    { ...section(`It costs about *${hourlyCost}/hour* now.${costNote ? ` ${costNote}` : ''}`), block_id: 'cost' },
    {
      type: 'actions',
      block_id: 'down_confirm',
      elements: [
        {
          type: 'button',
          action_id: DOWN_CONFIRM_ACTION,
          style: 'danger' as const,
          text: { type: 'plain_text', text: `Delete ${mesh}` },
          value,
          confirm: {
            title: { type: 'plain_text', text: 'Delete the mesh?' },
            text: {
              type: 'mrkdwn',
              text: `Every cluster, node group, NAT gateway, peering and VPC of *${mesh}* will be deleted.`,
            },
            confirm: { type: 'plain_text', text: 'Delete' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        { type: 'button', action_id: DOWN_KEEP_ACTION, text: { type: 'plain_text', text: 'Keep it' }, value },
      ],
    },
    context(
      `Only mesh admins can press these; they expire in ${minutes(ttlMs)} (at ${utcTime(now + ttlMs)}). ` +
        `Scripts: \`/mesh down --confirm ${mesh}\`.`,
    ),
  ];
}

/** What was posted: where, the nonce its buttons carry, when they expire, and the blocks that outlive them. */
export interface PostedConfirmation {
  ts: string;
  nonce: string;
  exp: number;
  kept: object[];
}

/** What an expired down confirmation says, edited in at expiry (src/queue/timers.ts). */
export function downExpiredOutcome(exp: number): string {
  return `:hourglass: This confirmation expired at ${utcTime(exp)}, nothing deleted. Run \`/mesh down\` again for a fresh one.`;
}

/** Posts the confirmation; a long inventory also goes up in full, as a file in the message's thread. */
export async function postDownConfirmation(
  slack: WebClient,
  channel: string,
  args: { mesh: string; inventory: string; hourlyCost: string; costNote?: string; now: number; ttlMs?: number },
): Promise<PostedConfirmation> {
  const nonce = randomUUID();
  const ttlMs = args.ttlMs ?? CONFIRM_TTL_MS;
  const blocks = confirmBlocks(args.mesh, args.inventory, args.hourlyCost, args.now, nonce, ttlMs, args.costNote);
  const posted = await slack.chat.postMessage({
    channel,
    text: safeText(`Delete mesh ${args.mesh}? An admin must confirm within ${minutes(ttlMs)}.`),
    blocks,
  });
  const ts = posted.ts as string;
  if (args.inventory.length > INVENTORY_INLINE_LIMIT) {
    const filename = `down-${args.mesh}-inventory.txt`;
    await slack.files.uploadV2({
      channel_id: channel,
      thread_ts: ts,
      content: safeFileText(args.inventory),
      filename,
      title: filename,
      initial_comment: 'Everything /mesh down would delete',
    });
  }
  return { ts, nonce, exp: args.now + ttlMs, kept: keptBlocks(blocks) };
}

/** The blocks a settled confirmation keeps: what was (or would have been) deleted and its cost. */
function keptBlocks(original: unknown[] | undefined, keep: readonly string[] = ['inventory', 'cost']): object[] {
  return (original ?? []).filter((b) => {
    const block = b as { type?: string; block_id?: string };
    return block.type === 'section' && keep.includes(block.block_id ?? '');
  }) as object[];
}

/** The message after a click: the inventory stays (what was, or would have been, deleted), the buttons go. */
export function settledBlocks(
  original: unknown[] | undefined,
  outcome: string,
  keep: readonly string[] = ['inventory', 'cost'],
): object[] {
  return [...keptBlocks(original, keep), context(outcome)];
}
