// The Web API methods the stand-in serves, each answering as Slack does: {ok:true,...} or {ok:false,error}.
import { checkMessage, parseBlocksArg } from './limits.ts';
import { BOT, type SlackChannel, type SlackMessage, TEAM, type Workspace } from './state.ts';

export type Args = Record<string, unknown>;
export type ApiResult = Record<string, unknown> & { ok: boolean };

export interface MethodContext {
  ws: Workspace;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** Issues a one-use Socket Mode URL (apps.connections.open). */
  openSocketUrl(): string;
}

type Method = (ctx: MethodContext, args: Args) => ApiResult;

const fail = (error: string, extra: Record<string, unknown> = {}): ApiResult => ({ ok: false, error, ...extra });
const str = (x: unknown): string | undefined =>
  typeof x === 'string' && x !== '' ? x : typeof x === 'number' ? String(x) : undefined;

/** The message as the Web API shows it in responses. */
export function messageJson(m: SlackMessage): Record<string, unknown> {
  return {
    type: 'message',
    ...(m.botId ? { subtype: 'bot_message', bot_id: m.botId } : {}),
    user: m.user,
    text: m.text,
    ts: m.ts,
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.files.length ? { files: m.files.map(fileJson), upload: true } : {}),
    ...(m.edits ? { edited: { user: m.user, ts: String((m.editedAtMs ?? 0) / 1000) } } : {}),
    team: TEAM.id,
  };
}

function fileJson(f: {
  id: string;
  name: string;
  title: string;
  declaredLength: number;
  bytes: Buffer | undefined;
}): Record<string, unknown> {
  return { id: f.id, name: f.name, title: f.title, size: f.bytes?.length ?? f.declaredLength, user: BOT.userId };
}

function limitFailure(text: unknown, blocks: unknown, requireContent: boolean): ApiResult | undefined {
  const e = checkMessage(text, blocks, { requireContent });
  if (!e) return undefined;
  // Slack lists each problem in `errors` and again as "[ERROR] ..." in response_metadata.messages.
  return e.problems.length
    ? fail(e.error, { errors: e.problems, response_metadata: { messages: e.problems.map((p) => `[ERROR] ${p}`) } })
    : fail(e.error);
}

function hasAttachments(raw: unknown): boolean {
  const list = parseBlocksArg(raw);
  return Array.isArray(list) && list.length > 0;
}

/**
 * Whether the bot may write to a channel, as Slack answers: a private channel it was not invited to does not exist
 * for it (channel_not_found), a public one says not_in_channel, and an archived one is_archived.
 */
function writable(channel: SlackChannel): ApiResult | undefined {
  if (channel.isMember === false && channel.isPrivate) return fail('channel_not_found');
  if (channel.isArchived) return fail('is_archived');
  if (channel.isMember === false) return fail('not_in_channel');
  return undefined;
}

const postMessage: Method = ({ ws }, a) => {
  const ref = str(a.channel);
  if (!ref) return fail('channel_not_found');
  const channel = ws.resolveChannel(ref, true);
  if (!channel) return fail('channel_not_found');
  const closed = writable(channel);
  if (closed) return closed;
  const blocks = parseBlocksArg(a.blocks);
  // Legacy attachments alone are content too.
  const bad = limitFailure(a.text, blocks, !hasAttachments(a.attachments));
  if (bad) return bad;
  let threadTs = str(a.thread_ts);
  if (threadTs) {
    const parent = ws.find(channel.id, threadTs);
    // Stricter than Slack, which may silently post top-level: a wrong thread_ts is a bug worth seeing.
    if (!parent) return fail('thread_not_found');
    threadTs = parent.threadTs ?? parent.ts; // a reply to a reply lands in the root's thread
  }
  const broadcast = threadTs !== undefined && (a.reply_broadcast === true || a.reply_broadcast === 'true');
  const m = ws.post({
    channel: channel.id,
    threadTs,
    broadcast,
    user: BOT.userId,
    botId: BOT.botId,
    text: str(a.text) ?? '',
    blocks: blocks as unknown[] | undefined,
    via: 'chat.postMessage',
  });
  return { ok: true, channel: channel.id, ts: m.ts, message: messageJson(m) };
};

const update: Method = ({ ws }, a) => {
  const ref = str(a.channel);
  // chat.update wants the channel ID; a name is not found.
  const channel = ref ? ws.resolveChannel(ref, false) : undefined;
  if (!channel) return fail('channel_not_found');
  const closed = writable(channel);
  if (closed) return closed;
  const ts = str(a.ts);
  const m = ts ? ws.find(channel.id, ts) : undefined;
  if (!m) return fail('message_not_found');
  if (m.user !== BOT.userId) return fail('cant_update_message');
  const blocks = parseBlocksArg(a.blocks);
  const bad = limitFailure(a.text, blocks, a.text === undefined && blocks === undefined);
  if (bad) return bad;
  ws.edit(m, { text: str(a.text) ?? (a.text === '' ? '' : undefined), blocks: blocks as unknown[] | undefined });
  return { ok: true, channel: channel.id, ts: m.ts, text: m.text, message: messageJson(m) };
};

const postEphemeral: Method = ({ ws }, a) => {
  const channel = str(a.channel) ? ws.resolveChannel(str(a.channel)!, true) : undefined;
  if (!channel) return fail('channel_not_found');
  const closed = writable(channel);
  if (closed) return closed;
  const user = str(a.user);
  if (!user || !ws.users.has(user)) return fail('user_not_found');
  const blocks = parseBlocksArg(a.blocks);
  const bad = limitFailure(a.text, blocks, true);
  if (bad) return bad;
  const m = ws.post({
    channel: channel.id,
    threadTs: str(a.thread_ts),
    user: BOT.userId,
    botId: BOT.botId,
    text: str(a.text) ?? '',
    blocks: blocks as unknown[] | undefined,
    visibleTo: user,
    via: 'chat.postEphemeral',
  });
  return { ok: true, message_ts: m.ts };
};

const del: Method = ({ ws }, a) => {
  const channel = str(a.channel) ? ws.resolveChannel(str(a.channel)!, false) : undefined;
  if (!channel) return fail('channel_not_found');
  const m = ws.find(channel.id, str(a.ts) ?? '');
  if (!m) return fail('message_not_found');
  if (m.user !== BOT.userId) return fail('cant_delete_message');
  ws.remove(m);
  return { ok: true, channel: channel.id, ts: m.ts };
};

const reactionsAdd: Method = ({ ws }, a) => {
  const channel = str(a.channel) ? ws.resolveChannel(str(a.channel)!, false) : undefined;
  if (!channel) return fail('channel_not_found');
  const m = ws.find(channel.id, str(a.timestamp) ?? '');
  if (!m) return fail('message_not_found');
  const name = str(a.name);
  if (!name || /[:\s]/.test(name)) return fail('invalid_name');
  return ws.react(m, name, BOT.userId) ? { ok: true } : fail('already_reacted');
};

const conversationsInfo: Method = ({ ws }, a) => {
  const channel = str(a.channel) ? ws.resolveChannel(str(a.channel)!, false) : undefined;
  // A private channel exists for the bot only once it was invited.
  if (!channel || (channel.isPrivate && channel.isMember === false)) return fail('channel_not_found');
  return {
    ok: true,
    channel: {
      id: channel.id,
      name: channel.name,
      is_channel: !channel.isPrivate,
      is_group: Boolean(channel.isPrivate),
      is_private: channel.isPrivate ?? false,
      is_member: channel.isMember !== false,
      is_archived: channel.isArchived ?? false,
      created: 1700000000,
      context_team_id: TEAM.id,
    },
  };
};

const usersInfo: Method = ({ ws }, a) => {
  const u = ws.users.get(str(a.user) ?? '');
  if (!u) return fail('user_not_found');
  return {
    ok: true,
    user: {
      id: u.id,
      team_id: TEAM.id,
      name: u.name,
      deleted: false,
      real_name: u.realName ?? u.name,
      tz: u.tz ?? 'Etc/UTC',
      is_admin: u.isAdmin ?? false,
      is_owner: false,
      is_bot: u.isBot ?? false,
      profile: { real_name: u.realName ?? u.name, display_name: u.name },
    },
  };
};

const getUploadUrl: Method = ({ ws, baseUrl }, a) => {
  const filename = str(a.filename);
  const length = Number(a.length);
  if (!filename || !Number.isInteger(length) || length <= 0) return fail('invalid_arguments');
  const id = ws.newId('F');
  ws.files.set(id, {
    id,
    name: filename,
    title: filename,
    declaredLength: length,
    bytes: undefined,
    snippetType: str(a.snippet_type),
  });
  return { ok: true, upload_url: `${baseUrl}/upload/v1/${id}`, file_id: id };
};

const completeUpload: Method = ({ ws }, a) => {
  let list: unknown = a.files;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list);
    } catch {
      return fail('invalid_arguments');
    }
  }
  if (!Array.isArray(list) || list.length === 0) return fail('invalid_arguments');
  const files = [];
  for (const entry of list as { id?: string; title?: string }[]) {
    const f = ws.files.get(entry.id ?? '');
    if (!f?.bytes) return fail('file_not_found'); // never uploaded to its upload_url
    if (entry.title) f.title = entry.title;
    files.push(f);
  }
  const channelRef = str(a.channel_id);
  if (channelRef) {
    const channel = ws.resolveChannel(channelRef, false);
    if (!channel) return fail('channel_not_found');
    const closed = writable(channel);
    if (closed) return closed;
    let threadTs = str(a.thread_ts);
    if (threadTs) {
      const parent = ws.find(channel.id, threadTs);
      if (!parent) return fail('thread_not_found');
      threadTs = parent.threadTs ?? parent.ts;
    }
    ws.post({
      channel: channel.id,
      threadTs,
      user: BOT.userId,
      botId: BOT.botId,
      text: str(a.initial_comment) ?? '',
      files,
      via: 'files.completeUploadExternal',
    });
  }
  return { ok: true, files: files.map(fileJson) };
};

const history: Method = ({ ws }, a) => {
  const channel = str(a.channel) ? ws.resolveChannel(str(a.channel)!, false) : undefined;
  if (!channel) return fail('channel_not_found');
  const limit = Number(a.limit) > 0 ? Number(a.limit) : 100;
  // Newest first, as Slack returns them.
  const messages = ws.messages(channel.id).slice().reverse().slice(0, limit).map(messageJson);
  return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
};

const replies: Method = ({ ws }, a) => {
  const channel = str(a.channel) ? ws.resolveChannel(str(a.channel)!, false) : undefined;
  if (!channel) return fail('channel_not_found');
  const root = ws.find(channel.id, str(a.ts) ?? '');
  if (!root) return fail('thread_not_found');
  const ts = root.threadTs ?? root.ts;
  const parent = ws.find(channel.id, ts);
  // The root first, then its replies oldest first, as Slack returns a thread.
  const messages = [...(parent ? [parent] : []), ...ws.thread(channel.id, ts)].map(messageJson);
  return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
};

const permalink: Method = ({ ws }, a) => {
  const channel = str(a.channel) ? ws.resolveChannel(str(a.channel)!, false) : undefined;
  if (!channel) return fail('channel_not_found');
  const m = ws.find(channel.id, str(a.message_ts) ?? '');
  if (!m) return fail('message_not_found');
  const base = `https://${TEAM.domain}.slack.com/archives/${channel.id}/p${m.ts.replace('.', '')}`;
  return {
    ok: true,
    channel: channel.id,
    permalink: m.threadTs ? `${base}?thread_ts=${m.threadTs}&cid=${channel.id}` : base,
  };
};

/** views.publish: a Home tab view for one user; at most 100 blocks, each checked as in a message. */
const viewsPublish: Method = ({ ws }, a) => {
  const user = str(a.user_id);
  if (!user || !ws.users.has(user)) return fail('user_not_found');
  let view: unknown = a.view;
  if (typeof view === 'string') {
    try {
      view = JSON.parse(view);
    } catch {
      return fail('invalid_arguments');
    }
  }
  const v = view as { type?: unknown; blocks?: unknown } | undefined;
  if (!v || v.type !== 'home')
    return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] view.type must be home'] } });
  if (!Array.isArray(v.blocks) || v.blocks.length > 100)
    return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] view.blocks: at most 100'] } });
  const bad =
    checkMessage(undefined, v.blocks.slice(0, 50), { requireContent: false }) ??
    checkMessage(undefined, v.blocks.slice(50), { requireContent: false });
  if (bad)
    return fail('invalid_arguments', { response_metadata: { messages: bad.problems.map((p) => `[ERROR] ${p}`) } });
  const before = ws.homes.get(user);
  ws.homes.set(user, { blocks: v.blocks, publishedAtMs: Date.now(), publishes: (before?.publishes ?? 0) + 1 });
  return { ok: true, view: { id: `V0${user}`, type: 'home', blocks: v.blocks } };
};

const authTest: Method = () => ({
  ok: true,
  url: `https://${TEAM.domain}.slack.com/`,
  team: TEAM.name,
  user: BOT.name,
  team_id: TEAM.id,
  user_id: BOT.userId,
  bot_id: BOT.botId,
  is_enterprise_install: false,
});

export const METHODS: Record<string, Method> = {
  'auth.test': authTest,
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'chat.delete': del,
  'reactions.add': reactionsAdd,
  'conversations.info': conversationsInfo,
  'conversations.history': history,
  'conversations.replies': replies,
  'chat.getPermalink': permalink,
  'users.info': usersInfo,
  'files.getUploadURLExternal': getUploadUrl,
  'files.completeUploadExternal': completeUpload,
  // Retired on 2025-11-12 (announced for March 2025): apps must use the external upload flow.
  'files.upload': () => fail('method_deprecated'),
  'apps.connections.open': (ctx) => ({ ok: true, url: ctx.openSocketUrl() }),
  'views.publish': viewsPublish,
};

/**
 * The bot scopes each method needs (any one of them; a function when it depends on the channel). A method not
 * listed needs none. Slack answers missing_scope, with what was needed and what the token has.
 */
export const METHOD_SCOPES: Record<string, string[] | ((ws: Workspace, a: Args) => string[])> = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.delete': ['chat:write'],
  'reactions.add': ['reactions:write'],
  'conversations.info': (ws, a) => (channelOf(ws, a)?.isPrivate ? ['groups:read'] : ['channels:read']),
  'conversations.history': (ws, a) => (channelOf(ws, a)?.isPrivate ? ['groups:history'] : ['channels:history']),
  'conversations.replies': (ws, a) => (channelOf(ws, a)?.isPrivate ? ['groups:history'] : ['channels:history']),
  'users.info': ['users:read'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
};

function channelOf(ws: Workspace, a: Args): SlackChannel | undefined {
  const ref = str(a.channel);
  return ref ? ws.resolveChannel(ref, false) : undefined;
}

/** undefined when the token's scopes allow the method, else Slack's missing_scope answer. */
export function scopeFailure(
  method: string,
  ws: Workspace,
  a: Args,
  granted: ReadonlySet<string> | 'all',
): ApiResult | undefined {
  if (granted === 'all') return undefined;
  const rule = METHOD_SCOPES[method];
  const needed = typeof rule === 'function' ? rule(ws, a) : rule;
  if (!needed || needed.some((s) => granted.has(s))) return undefined;
  return fail('missing_scope', { needed: needed.join(','), provided: [...granted].join(',') });
}

/** Methods that take the app-level token (xapp-); every other method wants the bot token. */
export const APP_TOKEN_METHODS = new Set(['apps.connections.open']);
