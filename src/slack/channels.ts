// Whether the bot can post in a channel before it queues a job there: a job whose anchor cannot be posted would
// run unseen. conversations.info answers is_member and is_archived (scopes channels:read, groups:read); a private
// channel the bot was not invited to answers channel_not_found.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export type ChannelCheck =
  | { usable: true }
  | { usable: false; reason: 'not_in_channel' | 'private' | 'archived'; advice: string }
  /** Slack did not say (an outage, a missing scope): the command goes ahead and the job posts when it can. */
  | { usable: 'unknown'; error: string };

const INVITE = 'invite me with `/invite @meshops` (or channel details, Integrations, Add apps)';

export function adviceFor(reason: 'not_in_channel' | 'private' | 'archived', channelId: string): string {
  if (reason === 'archived')
    return `<#${channelId}> is archived, so I cannot post there; unarchive it, or run /mesh in another of its channels`;
  if (reason === 'private')
    return `this private channel has not invited me, so I cannot post there; ${INVITE}, then run the command again`;
  return `I am not a member of this channel, so I cannot post the job's progress here; ${INVITE}, then run the command again`;
}

/** Maps a Web API error code on posting or reading a channel to why it is not usable, if it says so. */
export function closedChannelReason(code: string | undefined): 'not_in_channel' | 'private' | 'archived' | undefined {
  if (code === 'not_in_channel') return 'not_in_channel';
  if (code === 'channel_not_found') return 'private';
  if (code === 'is_archived') return 'archived';
  return undefined;
}

/** The bot cannot post in the channel: the command is answered with `advice`, and nothing stays queued. */
export class ChannelClosedError extends Error {
  readonly advice: string;
  constructor(advice: string) {
    super(advice);
    this.advice = advice;
  }
}

export function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

export function makeChannelChecker(client: WebClient, opts: { okForMs?: number } = {}) {
  // Only a usable answer is kept (briefly): after `/invite @meshops` the next command works at once.
  const okUntil = new Map<string, number>();
  const okForMs = opts.okForMs ?? 60_000;
  return async function check(channelId: string): Promise<ChannelCheck> {
    if ((okUntil.get(channelId) ?? 0) > Date.now()) return { usable: true };
    try {
      const res = await client.conversations.info({ channel: channelId });
      const c = res.channel as { is_member?: boolean; is_archived?: boolean; is_private?: boolean } | undefined;
      if (c?.is_archived) return { usable: false, reason: 'archived', advice: adviceFor('archived', channelId) };
      if (c?.is_member === false) {
        const reason = c.is_private ? 'private' : 'not_in_channel';
        return { usable: false, reason, advice: adviceFor(reason, channelId) };
      }
      okUntil.set(channelId, Date.now() + okForMs);
      return { usable: true };
    } catch (err) {
      const code = slackErrorCode(err);
      const reason = code === 'channel_not_found' ? 'private' : undefined;
      if (reason) return { usable: false, reason, advice: adviceFor(reason, channelId) };
      return { usable: 'unknown', error: code ?? (err instanceof Error ? err.message : String(err)) };
    }
  };
}

/** At start: says in the log which MESH_CHANNELS entries the bot cannot post in, and what to do about each. */
export async function reportChannels(
  check: ReturnType<typeof makeChannelChecker>,
  channels: readonly string[],
  log: Logger,
): Promise<void> {
  const results = await Promise.all(channels.map(async (id) => [id, await check(id)] as const));
  for (const [channel, r] of results) {
    if (r.usable === true) continue;
    if (r.usable === false)
      log.warn({ channel, reason: r.reason }, `MESH_CHANNELS entry ${channel} is not usable: ${r.advice}`);
    else if (r.error === 'missing_scope') {
      log.error(
        { channel },
        'cannot check MESH_CHANNELS: the app lacks channels:read / groups:read; add them (infra/slack/app-manifest.yaml) and reinstall the app',
      );
    } else log.warn({ channel, error: r.error }, `could not check MESH_CHANNELS entry ${channel}`);
  }
  const usable = results.filter(([, r]) => r.usable === true).map(([id]) => id);
  log.info({ usable, configured: channels.length }, 'MESH_CHANNELS checked');
}
