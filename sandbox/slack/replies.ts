// Replies that reach Slack outside the Web API: a command's ack body and posts to a response_url.
// Slack shows them as ephemeral (default) or in-channel messages, or replaces/deletes the message a button was on.
import { checkMessage, parseBlocksArg } from './limits.ts';
import { BOT, type Workspace } from './state.ts';

/** Where a reply lands: who ran the command or clicked, and the message a click came from. */
export interface ReplyContext {
  channel: string;
  user: string;
  originalTs?: string;
  originalEphemeral?: boolean;
}

export type ReplyOutcome =
  | { ok: true; action: 'none' | 'ephemeral' | 'in_channel' | 'replaced' | 'deleted' }
  | { ok: false; error: string };

/** Applies a reply body as Slack does; `via` records where it came from (response_url, command_ack, ...). */
export function applyReply(ws: Workspace, ctx: ReplyContext, rawBody: unknown, via: string): ReplyOutcome {
  if (rawBody === undefined || rawBody === null || rawBody === '') return { ok: true, action: 'none' };
  const body: Record<string, unknown> =
    typeof rawBody === 'string' ? { text: rawBody } : (rawBody as Record<string, unknown>);
  const text = typeof body.text === 'string' ? body.text : undefined;
  const blocks = parseBlocksArg(body.blocks);
  const original = () =>
    ctx.originalTs
      ? ctx.originalEphemeral
        ? ws.findEphemeral(ctx.channel, ctx.originalTs)
        : ws.find(ctx.channel, ctx.originalTs)
      : undefined;

  if (body.delete_original === true || body.delete_original === 'true') {
    const m = original();
    if (!m) return { ok: false, error: 'message_not_found' };
    ws.remove(m);
    return { ok: true, action: 'deleted' };
  }
  if (text === undefined && blocks === undefined) return { ok: true, action: 'none' }; // e.g. an empty {} ack
  const bad = checkMessage(text, blocks, { requireContent: true });
  if (bad) return { ok: false, error: bad.error };

  if (body.replace_original === true || body.replace_original === 'true') {
    const m = original();
    if (m) {
      ws.edit(m, { text: text ?? '', blocks: blocks as unknown[] | undefined });
      return { ok: true, action: 'replaced' };
    }
  }
  const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
  if (body.response_type === 'in_channel') {
    ws.post({
      channel: ctx.channel,
      threadTs,
      user: BOT.userId,
      botId: BOT.botId,
      text: text ?? '',
      blocks: blocks as unknown[] | undefined,
      via,
    });
    return { ok: true, action: 'in_channel' };
  }
  ws.post({
    channel: ctx.channel,
    threadTs,
    user: BOT.userId,
    botId: BOT.botId,
    text: text ?? '',
    blocks: blocks as unknown[] | undefined,
    visibleTo: ctx.user,
    via,
  });
  return { ok: true, action: 'ephemeral' };
}

/** response_url endpoints on the stand-in: POST /response/<id>; each can be used 5 times within 30 minutes. */
export class ResponseUrls {
  readonly #ws: Workspace;
  readonly #baseUrl: string;
  readonly #entries = new Map<string, ReplyContext & { uses: number; createdMs: number }>();
  #next = 1;

  constructor(ws: Workspace, baseUrl: string) {
    this.#ws = ws;
    this.#baseUrl = baseUrl;
  }

  create(ctx: ReplyContext): string {
    const id = `R${String(this.#next++).padStart(6, '0')}`;
    this.#entries.set(id, { ...ctx, uses: 0, createdMs: Date.now() });
    return `${this.#baseUrl}/response/${id}`;
  }

  handle(id: string, body: unknown): { status: number; json: Record<string, unknown> } {
    const e = this.#entries.get(id);
    if (!e) return { status: 404, json: { ok: false, error: 'invalid_url' } };
    if (e.uses >= 5 || Date.now() - e.createdMs > 30 * 60_000)
      return { status: 404, json: { ok: false, error: 'expired_url' } };
    e.uses += 1;
    const out = applyReply(this.#ws, e, body, 'response_url');
    return out.ok ? { status: 200, json: { ok: true } } : { status: 400, json: { ok: false, error: out.error } };
  }
}
