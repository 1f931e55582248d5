// A channel as a console shows it: messages with time and author, blocks flattened to text, threads indented,
// files with their first lines, ephemeral replies marked. watchChannel prints the same incrementally, with
// progress-message edits throttled so a terminal is not flooded.
import { BOT, type SlackChange, type SlackMessage, type Workspace } from './state.ts';

type Source = Workspace | { workspace: Workspace };
type Obj = Record<string, unknown>;

export interface TranscriptOptions {
  /** Show only this user's ephemeral replies, marked "(only visible to you)"; otherwise all, naming the user. */
  viewer?: string;
  /** Lines of a file shown under it (default 5). */
  fileLines?: number;
}

const THREAD_INDENT = '    ';

export function renderChannel(source: Source, channel: string, opts: TranscriptOptions = {}): string {
  const ws = workspaceOf(source);
  const c = ws.resolveChannel(channel, true);
  if (!c) return `(no channel ${channel})`;
  const ephemeral = ws.ephemeral(c.id).filter((m) => opts.viewer === undefined || m.visibleTo === opts.viewer);
  const top = [...ws.messages(c.id), ...ephemeral.filter((m) => !m.threadTs)].sort(byTs);
  const lines = [`#${c.name}`];
  for (const m of top) {
    if (m.threadTs) {
      // A broadcast reply: Slack shows it in the channel as well, under a "replied to a thread" line.
      lines.push(...renderMessage(ws, { ...m, text: `(replied to a thread) ${m.text}` }, '', opts));
      continue;
    }
    lines.push(...renderMessage(ws, m, '', opts));
    const replies = [...ws.thread(c.id, m.ts), ...ephemeral.filter((e) => e.threadTs === m.ts)].sort(byTs);
    for (const r of replies) lines.push(...renderMessage(ws, r, THREAD_INDENT, opts));
  }
  return lines.join('\n');
}

/** One message as lines: "HH:MM:SS  author  text", continuation lines aligned under the text. */
export function renderMessage(source: Source, m: SlackMessage, indent = '', opts: TranscriptOptions = {}): string[] {
  const ws = workspaceOf(source);
  const head = `${indent}${indent ? '↳ ' : ''}${clock(m.ts)}  ${author(ws, m)}  `;
  const pad = ' '.repeat(head.length);
  const body = messageText(ws, m).split('\n');
  const tags = [
    m.edits > 0 ? '(edited)' : '',
    m.visibleTo
      ? opts.viewer
        ? '(only visible to you)'
        : `(only visible to ${ws.users.get(m.visibleTo)?.name ?? m.visibleTo})`
      : '',
  ].filter(Boolean);
  if (tags.length) body[body.length - 1] = `${body[body.length - 1]}  ${tags.join(' ')}`.trimStart();
  const out = [head + body[0], ...body.slice(1).map((l) => pad + l)];
  for (const f of m.files) {
    const label = `[file: ${f.name}, ${f.bytes?.length ?? f.declaredLength} bytes]`;
    // A file shared without a comment sits on the message's own line.
    if (out.length === 1 && body.join('') === '') out[0] = head + label;
    else out.push(pad + label);
    const text = f.bytes?.toString('utf8') ?? '';
    const fileLines = text.split('\n');
    const shown = fileLines.slice(0, opts.fileLines ?? 5);
    out.push(...shown.map((l) => `${pad}  ${l}`));
    if (fileLines.length > shown.length) out.push(`${pad}  … (${fileLines.length - shown.length} more lines)`);
  }
  if (m.reactions.length) out.push(pad + m.reactions.map((r) => `:${r.name}: ${r.users.length}`).join('  '));
  return out;
}

/** The text a reader sees: the blocks when there are any (text is then only the notification fallback). */
export function messageText(source: Source, m: { text: string; blocks?: unknown[] }): string {
  const ws = workspaceOf(source);
  const raw = m.blocks && m.blocks.length > 0 ? blocksToText(m.blocks) : m.text;
  return resolveMentions(ws, raw);
}

export function blocksToText(blocks: unknown[]): string {
  return blocks
    .map((b) => blockToText(b as Obj))
    .filter((s) => s !== undefined)
    .join('\n');
}

function blockToText(b: Obj): string | undefined {
  switch (b.type) {
    case 'section': {
      const parts: string[] = [];
      if (b.text) parts.push(textOf(b.text));
      if (Array.isArray(b.fields)) parts.push(b.fields.map(textOf).join('  |  '));
      const acc = b.accessory as Obj | undefined;
      if (acc) parts.push(elementText(acc));
      return parts.join('\n');
    }
    case 'header':
      return `== ${textOf(b.text)} ==`;
    case 'context':
      return (Array.isArray(b.elements) ? b.elements : [])
        .map((e) => ((e as Obj).type === 'image' ? `[${(e as Obj).alt_text}]` : textOf(e)))
        .join('  ');
    case 'divider':
      return '────────────────';
    case 'actions':
      return (Array.isArray(b.elements) ? b.elements : []).map((e) => elementText(e as Obj)).join(' ');
    case 'image':
      return `[image: ${String(b.alt_text ?? '')}]`;
    case 'markdown':
      return String(b.text ?? '');
    case 'rich_text':
      return richText(b.elements);
    default:
      return `[${String(b.type)} block]`;
  }
}

function elementText(e: Obj): string {
  if (e.type === 'button') return `[ ${textOf(e.text)} ]`;
  return `[${String(e.type)}]`;
}

function textOf(t: unknown): string {
  return typeof t === 'object' && t !== null ? String((t as Obj).text ?? '') : String(t ?? '');
}

function richText(elements: unknown): string {
  if (!Array.isArray(elements)) return '';
  return elements
    .map((e) => {
      const o = e as Obj;
      if (typeof o.text === 'string') return o.text;
      if (o.type === 'user') return `<@${String(o.user_id)}>`;
      if (o.type === 'rich_text_preformatted') return `\`\`\`${richText(o.elements)}\`\`\``;
      return richText(o.elements);
    })
    .join('');
}

/**
 * mrkdwn as Slack parses it: <@U…> and <#C…> name people and channels, <!here>/<!channel>/<!everyone> are
 * broadcasts, any other <target|label> or <target> is a link (the brackets vanish), and &lt; &gt; &amp; are the
 * only way to show the characters themselves.
 */
function resolveMentions(ws: Workspace, s: string): string {
  return s
    .replace(/<([^<>]*)>/g, (_, inner: string) => {
      const [target = '', label] = inner.split('|', 2);
      if (/^@[UW][A-Z0-9]+$/.test(target)) return `@${ws.users.get(target.slice(1))?.name ?? target.slice(1)}`;
      if (/^#[CG][A-Z0-9]+$/.test(target))
        return `#${label || ws.channels.get(target.slice(1))?.name || target.slice(1)}`;
      if (/^!(here|channel|everyone)$/.test(target)) return `@${target.slice(1)}`;
      if (target.startsWith('!')) return label ?? target.slice(1);
      return label ? `${label} (${target})` : target;
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function author(ws: Workspace, m: SlackMessage): string {
  if (m.user === BOT.userId) return `${BOT.name} [APP]`;
  if (m.user === 'USLACKBOT') return 'Slackbot';
  return ws.users.get(m.user)?.name ?? m.user;
}

function clock(ts: string): string {
  return new Date(Number(ts) * 1000).toISOString().slice(11, 19);
}

function byTs(a: SlackMessage, b: SlackMessage): number {
  return Number(a.ts) - Number(b.ts);
}

function workspaceOf(s: Source): Workspace {
  return 'workspace' in s ? s.workspace : s;
}

export interface WatchOptions extends TranscriptOptions {
  /** A message edited more often than this prints at most once per window, its latest version last (default 5 s). */
  editEveryMs?: number;
  /** Edits that print at once whatever the window (default: the text says it finished, failed or was cancelled). */
  notable?: (text: string) => boolean;
}

const NOTABLE =
  /✅|❌|:white_check_mark:|:x:|\b(fail(ed|ure)?|error|done|finished|complete(d)?|succeeded|cancel(l)?ed|timed out)\b/i;

/** Prints a channel's new messages, replies and edits as they happen; returns stop(), which flushes pending edits. */
export function watchChannel(
  source: Source,
  channel: string,
  write: (text: string) => void,
  opts: WatchOptions = {},
): () => void {
  const ws = workspaceOf(source);
  const c = ws.resolveChannel(channel, true);
  if (!c) throw new Error(`no channel ${channel}`);
  const every = opts.editEveryMs ?? 5000;
  const lastPrinted = new Map<string, number>();
  const pending = new Map<string, NodeJS.Timeout>();
  const print = (m: SlackMessage, prefix = '') => {
    const lines = renderMessage(ws, m, m.threadTs ? THREAD_INDENT : '', opts);
    lines[0] = prefix + lines[0];
    write(lines.join('\n'));
    lastPrinted.set(m.ts, Date.now());
  };
  const printEdit = (m: SlackMessage) => {
    pending.delete(m.ts);
    if (!m.deleted) print(m, '✎ ');
  };

  const stop = ws.onChange((change: SlackChange) => {
    const m = change.message;
    if (m.channel !== c.id) return;
    if (m.visibleTo && opts.viewer !== undefined && m.visibleTo !== opts.viewer) return;
    switch (change.kind) {
      case 'message':
      case 'ephemeral':
        print(m);
        break;
      case 'edit': {
        const notable = (opts.notable ?? ((t: string) => NOTABLE.test(t)))(messageText(ws, m));
        if (notable) {
          clearTimeout(pending.get(m.ts));
          printEdit(m);
          break;
        }
        if (pending.has(m.ts)) return; // the trailing print will show the latest version
        const since = Date.now() - (lastPrinted.get(m.ts) ?? 0);
        if (since >= every) printEdit(m);
        else
          pending.set(
            m.ts,
            setTimeout(() => printEdit(m), every - since),
          );
        break;
      }
      case 'delete':
        clearTimeout(pending.get(m.ts));
        pending.delete(m.ts);
        write(`${m.threadTs ? THREAD_INDENT : ''}${clock(m.ts)}  (message deleted)`);
        break;
      case 'reaction':
        write(`${m.threadTs ? THREAD_INDENT : ''}${clock(m.ts)}  +:${change.name}:`);
        break;
    }
  });
  return () => {
    stop();
    for (const [ts, timer] of pending) {
      clearTimeout(timer);
      const m = ws.find(c.id, ts) ?? ws.findEphemeral(c.id, ts);
      if (m) print(m, '✎ ');
    }
    pending.clear();
  };
}
