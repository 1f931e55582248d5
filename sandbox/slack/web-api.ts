// The Slack stand-in: an HTTP server on 127.0.0.1 that serves the Web API (POST /api/<method>), file upload URLs,
// response_urls and Socket Mode, with Slack's limits and rate limits. Tests and the console read the workspace.

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { APP_TOKEN_METHODS, type Args, METHODS, scopeFailure } from './methods.ts';
import { DEFAULT_RATE_LIMITS, type RateLimitConfig, RateLimiter } from './rate-limits.ts';
import { applyReply, type ReplyContext, ResponseUrls } from './replies.ts';
import {
  blockActionPayload,
  eventCallback,
  postSigned,
  type SlashCommandInput,
  sendBlockAction,
  sendEvent,
  sendSlashCommand,
  slashCommandFields,
} from './sender.ts';
import { SocketModeHub } from './socket-mode.ts';
import {
  type SlackChange,
  type SlackChannel,
  type SlackFile,
  type SlackMessage,
  type SlackNotification,
  type SlackUser,
  Workspace,
} from './state.ts';

export interface SlackStandInOptions {
  /** true (default): Slack's limits; false: none; an object: per-method rules merged over the defaults. */
  rateLimits?: boolean | RateLimitConfig;
  botToken?: string;
  appToken?: string;
  users?: SlackUser[];
  channels?: SlackChannel[];
  socketPingIntervalMs?: number;
  /** The bot token's scopes: default those of infra/slack/app-manifest.yaml, as a real install grants them. */
  scopes?: string[] | 'all';
}

/** Slack misbehaving on purpose: the next `times` calls of a method answer 5xx, or never answer at all. */
export interface SlackFaults {
  fail(method: string, opts?: { status?: number; times?: number }): void;
  hang(method: string, opts?: { times?: number }): void;
  clear(): void;
  /** Calls that are hanging right now. */
  hanging(): number;
}

export interface MethodStats {
  calls: number;
  ok: number;
  errors: number;
  rateLimited: number;
}

/** A click on a button of a message; teamId: the clicking user's workspace (another one for Slack Connect). */
export interface ClickInput {
  userId: string;
  channelId: string;
  messageTs: string;
  actionId: string;
  to: Delivery;
  teamId?: string;
}

/** How a command or click reaches the app: signed HTTP POST to its request URL, or an envelope over Socket Mode. */
export type Delivery = { http: { url: string; signingSecret: string } } | 'socket';

export interface DeliveryResult {
  /** Whether the app acked within Slack's 3 seconds. */
  acked: boolean;
  /** HTTP status of the app's answer (HTTP delivery only). */
  status?: number;
  /** What the app acked with: a command's immediate reply, recorded as Slack would show it. */
  ackBody?: unknown;
  responseUrl: string;
}

export interface SlackStandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  /** What the bot's SLACK_API_URL should be: http://127.0.0.1:<port>/api/ */
  apiUrl: string;
  botToken: string;
  appToken: string;
  workspace: Workspace;
  socket: SocketModeHub;
  messages(channel: string): SlackMessage[];
  thread(channel: string, ts: string): SlackMessage[];
  ephemeral(channel: string, user?: string): SlackMessage[];
  waitFor(predicate: (m: SlackMessage) => boolean, timeoutMs: number): Promise<SlackMessage>;
  onChange(listener: (change: SlackChange) => void): () => void;
  file(id: string): SlackFile | undefined;
  /** Who new messages notified (edits notify nobody), oldest first; optionally in one channel only. */
  notifications(channel?: string): SlackNotification[];
  stats(): Record<string, MethodStats>;
  faults: SlackFaults;
  createResponseUrl(ctx: ReplyContext): string;
  /** Runs a slash command as a user would: response_url on the stand-in, the ack shown as Slack shows it. */
  slashCommand(input: SlashCommandInput & { to: Delivery }): Promise<DeliveryResult>;
  /** Clicks a button on a message in the stand-in (found by action_id in its blocks). */
  clickButton(input: ClickInput): Promise<DeliveryResult>;
  /** A user opens the app's Home tab: Slack sends app_home_opened; resolves once the app acked it. */
  openHome(input: { userId: string; to: Delivery }): Promise<{ acked: boolean }>;
  /** What a user's App Home shows now (the last views.publish for them). */
  home(userId: string): { blocks: unknown[]; publishedAtMs: number; publishes: number } | undefined;
  /** Clicks a button in a user's App Home, found by its label. */
  clickHomeButton(input: { userId: string; label: string; to: Delivery }): Promise<DeliveryResult>;
  /** Clicks the newest button with this label (case-insensitive) that `userId` can see in the channel. */
  clickLabel(
    input: Omit<ClickInput, 'messageTs' | 'actionId'> & { label: string },
  ): Promise<DeliveryResult & { messageTs: string }>;
  close(): Promise<void>;
}

const DEFAULT_USERS: SlackUser[] = [
  { id: 'U0ALICE01', name: 'alice', realName: 'Alice Admin', isAdmin: true },
  { id: 'U0BOB0001', name: 'bob', realName: 'Bob Builder' },
];
const DEFAULT_CHANNELS: SlackChannel[] = [
  { id: 'C0MESHOPS', name: 'mesh-ops' },
  { id: 'C0RANDOM1', name: 'random' },
];
const ACK_DEADLINE_MS = 3000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startSlackStandIn(opts: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const botToken = opts.botToken ?? 'xoxb-0000000000-sandbox-bot-token';
  const appToken = opts.appToken ?? 'xapp-1-A0MESHOPS-0000-sandbox-app-token';
  const ws = new Workspace(opts.users ?? DEFAULT_USERS, opts.channels ?? DEFAULT_CHANNELS);
  const scopes = opts.scopes === 'all' ? 'all' : new Set(opts.scopes ?? (await manifestScopes()));
  const limiter =
    opts.rateLimits === false
      ? undefined
      : new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...(typeof opts.rateLimits === 'object' ? opts.rateLimits : {}) });
  const hub = new SocketModeHub(opts.socketPingIntervalMs);
  const stats: Record<string, MethodStats> = {};
  let baseUrl = '';
  let responses: ResponseUrls | undefined;

  const planned: Array<{ method: string; kind: 'fail' | 'hang'; status: number; left: number }> = [];
  const hung = new Set<ServerResponse>();
  const faults: SlackFaults = {
    fail: (method, o = {}) => void planned.push({ method, kind: 'fail', status: o.status ?? 503, left: o.times ?? 1 }),
    hang: (method, o = {}) => void planned.push({ method, kind: 'hang', status: 0, left: o.times ?? 1 }),
    clear: () => void planned.splice(0),
    hanging: () => hung.size,
  };
  const takeFault = (method: string) => {
    const f = planned.find((p) => p.method === method && p.left > 0);
    if (f) f.left -= 1;
    return f;
  };

  const count = (method: string, field: keyof MethodStats) => {
    const s = (stats[method] ??= { calls: 0, ok: 0, errors: 0, rateLimited: 0 });
    s[field] += 1;
  };

  async function handleApi(
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    query: URLSearchParams,
  ): Promise<void> {
    count(method, 'calls');
    const fault = takeFault(method);
    if (fault?.kind === 'fail') {
      count(method, 'errors');
      // What Slack's edge answers in an outage: an HTML error page, not the Web API's JSON.
      return sendText(res, fault.status, `<html><body>${fault.status} Service Unavailable</body></html>`);
    }
    if (fault?.kind === 'hang') {
      // Accepted and never answered; the client's own timeout is the only way out.
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    const parsed = await parseArgs(req, raw, query);
    if (!parsed) {
      count(method, 'errors');
      return sendJson(res, 200, { ok: false, error: 'invalid_form_data' });
    }
    const { args, isJson } = parsed;
    const header = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
    // JSON bodies must carry the token in the Authorization header, as Slack requires.
    const token = header ?? (isJson ? undefined : typeof args.token === 'string' ? args.token : undefined);
    const impl = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    const authError = !token
      ? 'not_authed'
      : APP_TOKEN_METHODS.has(method)
        ? token === appToken
          ? undefined
          : token === botToken
            ? 'not_allowed_token_type'
            : 'invalid_auth'
        : token === botToken
          ? undefined
          : token === appToken
            ? 'not_allowed_token_type'
            : 'invalid_auth';
    if (!impl || authError) {
      count(method, 'errors');
      return sendJson(res, 200, { ok: false, error: impl ? authError : 'unknown_method' });
    }
    // One bucket per channel however the caller names it (ID, name or #name).
    const channelKey =
      typeof args.channel === 'string' ? (ws.resolveChannel(args.channel, true)?.id ?? args.channel) : undefined;
    const limit = limiter?.take(method, channelKey);
    if (limit && !limit.ok) {
      count(method, 'rateLimited');
      res.setHeader('Retry-After', String(limit.retryAfterSec));
      return sendJson(res, 429, { ok: false, error: 'ratelimited' });
    }
    const result =
      scopeFailure(method, ws, args, scopes) ?? impl({ ws, baseUrl, openSocketUrl: () => hub.issueUrl() }, args);
    count(method, result.ok ? 'ok' : 'errors');
    sendJson(res, 200, result);
  }

  async function handleUpload(fileId: string, req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const f = ws.files.get(fileId);
    if (!f) return sendText(res, 404, 'file_not_found');
    const ct = req.headers['content-type'] ?? '';
    let bytes = raw;
    if (ct.startsWith('multipart/form-data')) {
      // The Node SDK posts the bytes as a multipart form; curl-style clients post them raw.
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': ct } }).formData();
      const part = [...form.values()].find((v): v is File => typeof v !== 'string');
      if (!part) return sendText(res, 400, 'no_file_data');
      bytes = Buffer.from(await part.arrayBuffer());
    }
    f.bytes = bytes;
    sendText(res, 200, `OK - ${bytes.length}`);
  }

  const server = createServer((req, res) => {
    readBody(req)
      .then(async (raw) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
        const upload = /^\/upload\/v1\/([A-Z0-9]+)$/.exec(url.pathname);
        const response = /^\/response\/([A-Za-z0-9]+)$/.exec(url.pathname);
        if (api && (req.method === 'POST' || req.method === 'GET'))
          return handleApi(api[1], req, res, raw, url.searchParams);
        if (upload && req.method === 'POST') return handleUpload(upload[1], req, res, raw);
        if (response && req.method === 'POST') {
          const body = parseReplyBody(req, raw);
          const out = responses!.handle(response[1], body);
          return sendJson(res, out.status, out.json);
        }
        sendText(res, 404, 'not found');
      })
      .catch((err: unknown) => {
        if (!res.headersSent) sendText(res, 500, `stand-in error: ${err instanceof Error ? err.message : String(err)}`);
      });
  });
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hub.setBaseUrl(baseUrl);
  responses = new ResponseUrls(ws, baseUrl);
  const replies = responses;

  async function deliverCommand(input: SlashCommandInput & { to: Delivery }): Promise<DeliveryResult> {
    // Slack only sends commands from real channels and users: make the ones a test invents exist.
    if (!ws.channels.has(input.channelId))
      ws.addChannel({ id: input.channelId, name: input.channelName ?? input.channelId.toLowerCase() });
    if (!ws.users.has(input.userId))
      ws.users.set(input.userId, { id: input.userId, name: input.userName ?? input.userId.toLowerCase() });
    const ctx: ReplyContext = { channel: input.channelId, user: input.userId };
    const responseUrl = input.responseUrl ?? replies.create(ctx);
    const started = Date.now();
    let result: DeliveryResult;
    if (input.to === 'socket') {
      const ack = await hub.deliver('slash_commands', slashCommandFields({ ...input, responseUrl }), ACK_DEADLINE_MS);
      result = { acked: ack.acked, ackBody: ack.payload, responseUrl };
    } else {
      const sent = await sendSlashCommand({ ...input, ...input.to.http, responseUrl });
      const inTime = Date.now() - started <= ACK_DEADLINE_MS;
      result = {
        acked: sent.status === 200 && inTime,
        status: sent.status,
        ackBody: sent.json ?? (sent.body || undefined),
        responseUrl,
      };
    }
    if (result.acked) applyReply(ws, ctx, result.ackBody, 'command_ack');
    else {
      // What Slack shows the user when the app did not answer in time (or answered with an error).
      const why = result.status !== undefined && result.status !== 200 ? 'dispatch_failed' : 'operation_timeout';
      ws.post({
        channel: input.channelId,
        user: 'USLACKBOT',
        text: `${input.command ?? '/mesh'} failed with the error "${why}"`,
        visibleTo: input.userId,
        via: 'slack',
      });
    }
    return result;
  }

  async function deliverClick(input: ClickInput): Promise<DeliveryResult> {
    const ephemeral = ws.findEphemeral(input.channelId, input.messageTs);
    const message = ephemeral ?? ws.find(input.channelId, input.messageTs);
    if (!message) throw new Error(`no message ${input.channelId}/${input.messageTs} to click on`);
    const button = findButton(message.blocks, input.actionId);
    if (!button) throw new Error(`message ${input.messageTs} has no button with action_id ${input.actionId}`);
    const ctx: ReplyContext = {
      channel: input.channelId,
      user: input.userId,
      originalTs: message.ts,
      originalEphemeral: Boolean(ephemeral),
    };
    const responseUrl = replies.create(ctx);
    const action = {
      userId: input.userId,
      channelId: input.channelId,
      messageTs: message.ts,
      isEphemeral: Boolean(ephemeral),
      message: {
        ts: message.ts,
        text: message.text,
        blocks: message.blocks,
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      },
      actionId: input.actionId,
      blockId: button.blockId,
      value: button.value,
      actionText: button.label,
      responseUrl,
      ...(input.teamId ? { teamId: input.teamId } : {}),
    };
    if (input.to === 'socket') {
      const ack = await hub.deliver('interactive', blockActionPayload(action), ACK_DEADLINE_MS);
      return { acked: ack.acked, ackBody: ack.payload, responseUrl };
    }
    const sent = await sendBlockAction({ ...action, ...input.to.http });
    return {
      acked: sent.status === 200,
      status: sent.status,
      ackBody: sent.json ?? (sent.body || undefined),
      responseUrl,
    };
  }

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    botToken,
    appToken,
    workspace: ws,
    socket: hub,
    messages: (c) => ws.messages(c),
    thread: (c, ts) => ws.thread(c, ts),
    ephemeral: (c, u) => ws.ephemeral(c, u),
    waitFor: (p, t) => ws.waitFor(p, t),
    onChange: (l) => ws.onChange(l),
    file: (id) => ws.files.get(id),
    notifications: (c) => ws.notifications.filter((n) => c === undefined || n.channel === c),
    stats: () => structuredClone(stats),
    faults,
    createResponseUrl: (ctx) => replies.create(ctx),
    slashCommand: deliverCommand,
    clickButton: deliverClick,
    async openHome({ userId, to }) {
      // Only a member of the workspace can open the tab: make the one a test invents exist.
      if (!ws.users.has(userId)) ws.users.set(userId, { id: userId, name: userId.toLowerCase() });
      const event = { type: 'app_home_opened', user: userId, channel: `D0${userId.slice(1)}`, tab: 'home' };
      if (to === 'socket')
        return { acked: (await hub.deliver('events_api', eventCallback(event), ACK_DEADLINE_MS)).acked };
      const sent = await sendEvent({ ...to.http, event });
      return { acked: sent.status === 200 };
    },
    home: (userId) => ws.homes.get(userId),
    async clickHomeButton({ userId, label, to }) {
      const view = ws.homes.get(userId);
      const want = label.trim().toLowerCase();
      const b = (view?.blocks ?? [])
        .flatMap((blk) => buttonsWithValue(blk))
        .find((x) => x.label?.toLowerCase() === want);
      if (!b) throw new Error(`no button "${label}" in the App Home of ${userId}`);
      const responseUrl = replies.create({ channel: '', user: userId });
      const payload = {
        ...blockActionPayload({
          userId,
          channelId: '',
          messageTs: '',
          actionId: b.actionId,
          value: b.value,
          actionText: b.label,
          responseUrl,
        }),
      };
      // A click in the Home tab comes from a view, not a message: no channel, no message, no response_url.
      const fromView = {
        ...payload,
        container: { type: 'view', view_id: `V0${userId}` },
        channel: undefined,
        message: undefined,
        response_url: undefined,
        view: { id: `V0${userId}`, type: 'home' },
      };
      if (to === 'socket') {
        const ack = await hub.deliver('interactive', fromView, ACK_DEADLINE_MS);
        return { acked: ack.acked, ackBody: ack.payload, responseUrl };
      }
      const sent = await postSigned(
        to.http.url,
        to.http.signingSecret,
        new URLSearchParams({ payload: JSON.stringify(fromView) }).toString(),
      );
      return { acked: sent.status === 200, status: sent.status, ackBody: sent.json, responseUrl };
    },
    async clickLabel(input) {
      const want = input.label.trim().toLowerCase();
      const seen = [...ws.messages(input.channelId), ...ws.ephemeral(input.channelId, input.userId)];
      for (const top of [...seen]) seen.push(...ws.thread(input.channelId, top.ts));
      const hit = seen
        .sort(
          (a, b) =>
            Number(b.editedAtMs ?? b.postedAtMs) - Number(a.editedAtMs ?? a.postedAtMs) || Number(b.ts) - Number(a.ts),
        )
        .map((m) => ({ m, b: buttonsOf(m.blocks).find((x) => x.label?.toLowerCase() === want) }))
        .find((x) => x.b);
      if (!hit)
        throw new Error(`no button "${input.label}" in #${ws.channels.get(input.channelId)?.name ?? input.channelId}`);
      const res = await deliverClick({ ...input, messageTs: hit.m.ts, actionId: hit.b!.actionId });
      return { ...res, messageTs: hit.m.ts };
    },
    async close() {
      for (const res of hung) res.destroy();
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The bot scopes the app's manifest asks for: what a workspace grants when it installs the app. */
export async function manifestScopes(): Promise<string[]> {
  const text = await readFile(new URL('../../infra/slack/app-manifest.yaml', import.meta.url), 'utf8');
  const doc = parseYaml(text) as { oauth_config?: { scopes?: { bot?: string[] } } };
  return doc.oauth_config?.scopes?.bot ?? [];
}

function buttonsWithValue(block: unknown): { actionId: string; label?: string; value?: string }[] {
  const b = block as { type?: string; elements?: unknown[]; accessory?: unknown };
  const els = [...(b.type === 'actions' ? (b.elements ?? []) : []), ...(b.accessory ? [b.accessory] : [])] as {
    type?: string;
    action_id?: string;
    value?: string;
    text?: { text?: string };
  }[];
  return els
    .filter((e) => e.type === 'button' && e.action_id)
    .map((e) => ({ actionId: e.action_id!, label: e.text?.text, value: e.value }));
}

function buttonsOf(blocks: unknown[] | undefined): { actionId: string; label?: string }[] {
  const out: { actionId: string; label?: string }[] = [];
  for (const b of (blocks ?? []) as { type?: string; elements?: unknown[]; accessory?: unknown }[]) {
    const els = [...(b.type === 'actions' ? (b.elements ?? []) : []), ...(b.accessory ? [b.accessory] : [])] as {
      type?: string;
      action_id?: string;
      text?: { text?: string };
    }[];
    for (const e of els)
      if (e.type === 'button' && e.action_id) out.push({ actionId: e.action_id, label: e.text?.text });
  }
  return out;
}

function findButton(
  blocks: unknown[] | undefined,
  actionId: string,
): { blockId?: string; value?: string; label?: string } | undefined {
  for (const b of (blocks ?? []) as { type?: string; block_id?: string; elements?: unknown[]; accessory?: unknown }[]) {
    const candidates = [...(b.type === 'actions' ? (b.elements ?? []) : []), ...(b.accessory ? [b.accessory] : [])] as {
      type?: string;
      action_id?: string;
      value?: string;
      text?: { text?: string };
    }[];
    const el = candidates.find((e) => e.action_id === actionId);
    if (el) return { blockId: b.block_id, value: el.value, label: el.text?.text };
  }
  return undefined;
}

async function parseArgs(
  req: IncomingMessage,
  raw: Buffer,
  query: URLSearchParams,
): Promise<{ args: Args; isJson: boolean } | undefined> {
  const ct = (req.headers['content-type'] ?? '').toLowerCase();
  const args: Args = Object.fromEntries(query);
  if (raw.length === 0) return { args, isJson: false };
  if (ct.startsWith('application/json')) {
    try {
      return { args: { ...args, ...(JSON.parse(raw.toString('utf8')) as Args) }, isJson: true };
    } catch {
      return undefined;
    }
  }
  if (ct.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': ct } }).formData();
    for (const [k, v] of form) if (typeof v === 'string') args[k] = v;
    return { args, isJson: false };
  }
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) args[k] = v;
  return { args, isJson: false };
}

function parseReplyBody(req: IncomingMessage, raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload) return JSON.parse(payload);
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
