// The stand-in workspace: channels with their messages and threads, ephemeral replies, files, and a change feed
// that tests and the console subscribe to (waitFor is event driven, never a polling loop).

export interface SlackUser {
  id: string;
  name: string;
  realName?: string;
  isAdmin?: boolean;
  isBot?: boolean;
  tz?: string;
}

export interface SlackChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** Whether the bot was invited (default true). A private channel it is not in does not exist for it. */
  isMember?: boolean;
  isArchived?: boolean;
}

export interface SlackFile {
  id: string;
  name: string;
  title: string;
  /** The length the uploader announced in files.getUploadURLExternal. */
  declaredLength: number;
  bytes: Buffer | undefined;
  snippetType?: string;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  /** The root's ts for a reply; undefined for a top-level message. */
  threadTs?: string;
  /** U... of the author (the bot user for the app's own messages). */
  user: string;
  botId?: string;
  text: string;
  blocks?: unknown[];
  /** How many times chat.update (or a response_url replace) changed it. */
  edits: number;
  files: SlackFile[];
  reactions: { name: string; users: string[] }[];
  deleted: boolean;
  /** A thread reply also shown in the channel (reply_broadcast). */
  broadcast?: boolean;
  /** Set for ephemeral messages: the only user who sees it. */
  visibleTo?: string;
  /** How it got here: a Web API method, a response_url post, or a command's ack body. */
  via: string;
  postedAtMs: number;
  editedAtMs?: number;
}

/** Who a new message notified: a person it mentions, or everyone in the channel for <!here>/<!channel>. */
export interface SlackNotification {
  channel: string;
  ts: string;
  /** U... of the person, or '@here' / '@channel' / '@everyone'. */
  to: string;
  /** The message's ts in a thread, or its own ts. */
  threadTs?: string;
}

export type SlackChange =
  | { kind: 'message'; message: SlackMessage }
  | { kind: 'edit'; message: SlackMessage }
  | { kind: 'delete'; message: SlackMessage }
  | { kind: 'reaction'; message: SlackMessage; name: string }
  | { kind: 'ephemeral'; message: SlackMessage };

export const TEAM = { id: 'T0MESHOPS', domain: 'meshops', name: 'meshops' };
export const BOT = { userId: 'U0MESHBOT', botId: 'B0MESHBOT', appId: 'A0MESHOPS', name: 'meshops' };

export class Workspace {
  readonly users = new Map<string, SlackUser>();
  readonly channels = new Map<string, SlackChannel>();
  readonly files = new Map<string, SlackFile>();
  readonly #messages = new Map<string, SlackMessage[]>();
  readonly #ephemeral = new Map<string, SlackMessage[]>();
  readonly #listeners = new Set<(change: SlackChange) => void>();
  /** What each user's App Home shows: the last view published for them (views.publish). */
  readonly homes = new Map<string, { blocks: unknown[]; publishedAtMs: number; publishes: number }>();
  /** Slack notifies on new messages only: chat.update edits notify nobody, even when they add a mention. */
  readonly notifications: SlackNotification[] = [];
  #lastTsMicros = 0;
  #nextId = 1;

  constructor(users: SlackUser[], channels: SlackChannel[]) {
    this.users.set(BOT.userId, { id: BOT.userId, name: BOT.name, isBot: true });
    for (const u of users) this.users.set(u.id, u);
    for (const c of channels) this.addChannel(c);
  }

  addChannel(c: SlackChannel): void {
    this.channels.set(c.id, c);
    if (!this.#messages.has(c.id)) this.#messages.set(c.id, []);
    if (!this.#ephemeral.has(c.id)) this.#ephemeral.set(c.id, []);
  }

  /** Finds a channel by ID, or by name ('mesh-ops' or '#mesh-ops') when byName allows it (chat.postMessage does). */
  resolveChannel(ref: string, byName: boolean): SlackChannel | undefined {
    const byId = this.channels.get(ref);
    if (byId || !byName) return byId;
    const name = ref.replace(/^#/, '');
    return [...this.channels.values()].find((c) => c.name === name);
  }

  /** A Slack-style ts ("1732545296.000100"): seconds and micro-seconds, unique and increasing. */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.#lastTsMicros + 1);
    this.#lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  newId(prefix: string): string {
    return `${prefix}0${String(this.#nextId++).padStart(8, '0')}`;
  }

  find(channel: string, ts: string): SlackMessage | undefined {
    return this.#messages.get(channel)?.find((m) => m.ts === ts && !m.deleted);
  }

  findEphemeral(channel: string, ts: string): SlackMessage | undefined {
    return this.#ephemeral.get(channel)?.find((m) => m.ts === ts && !m.deleted);
  }

  post(
    m: Omit<SlackMessage, 'ts' | 'edits' | 'deleted' | 'postedAtMs' | 'reactions' | 'files'> & { files?: SlackFile[] },
  ): SlackMessage {
    const message: SlackMessage = {
      ...m,
      files: m.files ?? [],
      ts: this.nextTs(),
      edits: 0,
      deleted: false,
      reactions: [],
      postedAtMs: Date.now(),
    };
    const list = message.visibleTo ? this.#ephemeral.get(m.channel) : this.#messages.get(m.channel);
    if (!list) throw new Error(`no channel ${m.channel}`);
    list.push(message);
    if (!message.visibleTo) {
      for (const to of mentionsIn(message))
        this.notifications.push({ channel: m.channel, ts: message.ts, to, threadTs: message.threadTs });
    }
    this.#emit({ kind: message.visibleTo ? 'ephemeral' : 'message', message });
    return message;
  }

  edit(message: SlackMessage, patch: { text?: string; blocks?: unknown[] }): void {
    if (patch.text !== undefined) message.text = patch.text;
    if (patch.blocks !== undefined) message.blocks = patch.blocks;
    message.edits += 1;
    message.editedAtMs = Date.now();
    this.#emit({ kind: 'edit', message });
  }

  remove(message: SlackMessage): void {
    message.deleted = true;
    this.#emit({ kind: 'delete', message });
  }

  react(message: SlackMessage, name: string, user: string): boolean {
    let r = message.reactions.find((x) => x.name === name);
    if (!r) message.reactions.push((r = { name, users: [] }));
    if (r.users.includes(user)) return false;
    r.users.push(user);
    this.#emit({ kind: 'reaction', message, name });
    return true;
  }

  /** Top-level messages of a channel (ID or name), oldest first; broadcast replies show here too, as in Slack. */
  messages(channel: string): SlackMessage[] {
    const c = this.resolveChannel(channel, true);
    return (c ? (this.#messages.get(c.id) ?? []) : []).filter((m) => (!m.threadTs || m.broadcast) && !m.deleted);
  }

  /** The replies under a thread's root, oldest first (the root itself not included). */
  thread(channel: string, ts: string): SlackMessage[] {
    const c = this.resolveChannel(channel, true);
    return (c ? (this.#messages.get(c.id) ?? []) : []).filter((m) => m.threadTs === ts && !m.deleted);
  }

  /** Ephemeral messages in a channel, optionally only those one user saw. */
  ephemeral(channel: string, user?: string): SlackMessage[] {
    const c = this.resolveChannel(channel, true);
    return (c ? (this.#ephemeral.get(c.id) ?? []) : []).filter(
      (m) => !m.deleted && (user === undefined || m.visibleTo === user),
    );
  }

  /** Every live message, ephemeral ones included, in every channel. */
  all(): SlackMessage[] {
    const out: SlackMessage[] = [];
    for (const id of this.channels.keys()) {
      out.push(...(this.#messages.get(id) ?? []), ...(this.#ephemeral.get(id) ?? []));
    }
    return out.filter((m) => !m.deleted);
  }

  onChange(listener: (change: SlackChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first message (posted, edited or ephemeral) that matches, already there or still to come. */
  waitFor(predicate: (m: SlackMessage) => boolean, timeoutMs: number): Promise<SlackMessage> {
    const present = this.all().find(predicate);
    if (present) return Promise.resolve(present);
    return new Promise((resolve, reject) => {
      const stop = this.onChange((change) => {
        if (change.kind === 'delete' || change.message.deleted || !predicate(change.message)) return;
        clearTimeout(timer);
        stop();
        resolve(change.message);
      });
      const timer = setTimeout(() => {
        stop();
        const seen = this.all()
          .slice(-5)
          .map((m) => `${m.channel}/${m.ts}: ${m.text.slice(0, 80)}`);
        reject(
          new Error(
            `waitFor: no matching Slack message within ${timeoutMs} ms; last seen:\n${seen.join('\n') || '(none)'}`,
          ),
        );
      }, timeoutMs);
    });
  }

  #emit(change: SlackChange): void {
    // A listener that throws (a test's predicate, the console) must not fail the Web API call that caused it.
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (err) {
        process.emitWarning(
          `Slack stand-in change listener failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }
}

/** The mentions of a message, in its text and in the mrkdwn of its blocks, as Slack reads them. */
function mentionsIn(m: { text: string; blocks?: unknown[] }): string[] {
  const texts = [m.text, ...(JSON.stringify(m.blocks ?? []).match(/"text":"(?:[^"\\]|\\.)*"/g) ?? [])];
  const out = new Set<string>();
  for (const t of texts) {
    for (const [, target] of t.matchAll(/<([^<>|]*)(?:\|[^<>]*)?>/g)) {
      if (/^@[UW][A-Z0-9]+$/.test(target!)) out.add(target!.slice(1));
      else if (/^!(here|channel|everyone)$/.test(target!)) out.add(`@${target!.slice(1)}`);
    }
  }
  return [...out];
}
