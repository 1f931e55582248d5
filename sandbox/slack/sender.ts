// What Slack sends to an app: signed slash commands and block_actions, form-encoded as Slack posts them.
// The payload builders are shared with the Socket Mode side, which sends the same payloads in envelopes.
import { createHmac, randomBytes } from 'node:crypto';
import { BOT, TEAM } from './state.ts';

/** Slack's request signature: v0= + hex HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the signing secret. */
export function signSlackRequest(
  secret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'X-Slack-Request-Timestamp': String(timestamp), 'X-Slack-Signature': `v0=${signature}` };
}

export interface SlashCommandInput {
  command?: string;
  text: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  teamId?: string;
  teamDomain?: string;
  responseUrl?: string;
  triggerId?: string;
}

export interface BlockActionInput {
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  teamId?: string;
  messageTs: string;
  /** The message the button sits on, as the app posted it (Slack includes it in the payload). */
  message?: { ts: string; text?: string; blocks?: unknown[]; user?: string; bot_id?: string; thread_ts?: string };
  isEphemeral?: boolean;
  actionId: string;
  blockId?: string;
  value?: string;
  /** The button's label. */
  actionText?: string;
  responseUrl?: string;
  triggerId?: string;
}

export interface SentRequest {
  status: number;
  body: string;
  /** The body parsed, when it was JSON (a command's ack may carry an ephemeral reply). */
  json?: unknown;
}

/** The verification token Slack still sends in payloads (deprecated; apps check signatures instead). */
const LEGACY_TOKEN = 'sandboxVerificationToken';

export function newTriggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomBytes(16).toString('hex')}`;
}

/** The fields of a slash command, in the order and spelling Slack uses. */
export function slashCommandFields(i: SlashCommandInput): Record<string, string> {
  const teamId = i.teamId ?? TEAM.id;
  return {
    token: LEGACY_TOKEN,
    team_id: teamId,
    team_domain: i.teamDomain ?? TEAM.domain,
    channel_id: i.channelId,
    channel_name: i.channelName ?? 'mesh-ops',
    user_id: i.userId,
    user_name: i.userName ?? i.userId.toLowerCase(),
    command: i.command ?? '/mesh',
    text: i.text,
    api_app_id: BOT.appId,
    is_enterprise_install: 'false',
    response_url: i.responseUrl ?? `https://hooks.slack.com/commands/${teamId}/0/${randomBytes(12).toString('hex')}`,
    trigger_id: i.triggerId ?? newTriggerId(),
  };
}

/** The block_actions payload of a button click, shaped as Slack sends it. */
export function blockActionPayload(i: BlockActionInput): Record<string, unknown> {
  const teamId = i.teamId ?? TEAM.id;
  const nowTs = `${(Date.now() / 1000).toFixed(6)}`;
  return {
    type: 'block_actions',
    user: {
      id: i.userId,
      username: i.userName ?? i.userId.toLowerCase(),
      name: i.userName ?? i.userId.toLowerCase(),
      team_id: teamId,
    },
    api_app_id: BOT.appId,
    token: LEGACY_TOKEN,
    container: {
      type: 'message',
      message_ts: i.messageTs,
      channel_id: i.channelId,
      is_ephemeral: i.isEphemeral ?? false,
    },
    trigger_id: i.triggerId ?? newTriggerId(),
    team: { id: teamId, domain: TEAM.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: i.channelId, name: i.channelName ?? 'mesh-ops' },
    message: i.message
      ? { type: 'message', user: BOT.userId, bot_id: BOT.botId, text: '', ...i.message }
      : { type: 'message', ts: i.messageTs },
    state: { values: {} },
    response_url: i.responseUrl ?? `https://hooks.slack.com/actions/${teamId}/0/${randomBytes(12).toString('hex')}`,
    actions: [
      {
        action_id: i.actionId,
        block_id: i.blockId ?? 'actions',
        text: { type: 'plain_text', text: i.actionText ?? i.actionId, emoji: true },
        value: i.value,
        type: 'button',
        action_ts: nowTs,
      },
    ],
  };
}

/** Posts a signed slash command to the app's request URL, as Slack does. */
export async function sendSlashCommand(
  i: SlashCommandInput & { url: string; signingSecret: string; timestamp?: number },
): Promise<SentRequest> {
  const body = new URLSearchParams(slashCommandFields(i)).toString();
  return postSigned(i.url, i.signingSecret, body, i.timestamp);
}

/** Posts a signed button click (payload=<json>) to the app's request URL, as Slack does. */
export async function sendBlockAction(
  i: BlockActionInput & { url: string; signingSecret: string; timestamp?: number },
): Promise<SentRequest> {
  const body = new URLSearchParams({ payload: JSON.stringify(blockActionPayload(i)) }).toString();
  return postSigned(i.url, i.signingSecret, body, i.timestamp);
}

export async function postSigned(url: string, secret: string, body: string, timestamp?: number): Promise<SentRequest> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...signSlackRequest(secret, body, timestamp),
    },
    body,
    // Slack waits 3 s for the ack; allow a little slack for a busy test machine.
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: text, json };
}

/** An Events API callback, as Slack wraps an event (app_home_opened, ...). */
export function eventCallback(event: Record<string, unknown>, teamId: string = TEAM.id): Record<string, unknown> {
  return {
    token: LEGACY_TOKEN,
    team_id: teamId,
    api_app_id: BOT.appId,
    event: { event_ts: `${(Date.now() / 1000).toFixed(6)}`, ...event },
    type: 'event_callback',
    event_id: `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: BOT.userId, is_bot: true, is_enterprise_install: false }],
  };
}

/** Posts a signed Events API callback (JSON body) to the app's request URL, as Slack does. */
export async function sendEvent(i: {
  url: string;
  signingSecret: string;
  event: Record<string, unknown>;
  teamId?: string;
}): Promise<SentRequest> {
  const body = JSON.stringify(eventCallback(i.event, i.teamId));
  const res = await fetch(i.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...signSlackRequest(i.signingSecret, body) },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text };
}
