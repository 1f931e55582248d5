// Small text helpers for Slack messages: progress bars, code blocks, escaping, and Slack's size limits.
import { scrubSecrets } from '../log.ts';
import { escapeAllButOwnMarkup, escapeMrkdwn } from './mrkdwn.ts';

export { escapeMrkdwn };

/** A section block's text limit is 3000 characters; keep room for the code fence and a heading. */
export const SECTION_TEXT_LIMIT = 3000;
export const INLINE_EXCERPT_LIMIT = 2600;

export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total <= 0 ? 0 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(ratio * width);
  return `${'▓'.repeat(filled)}${'░'.repeat(width - filled)} ${Math.round(ratio * 100)}%`;
}

/** A code block of text from outside (a table, a log excerpt): escaped, so kubectl's `<none>` reads as `<none>`. */
export function codeBlock(text: string): string {
  return `\`\`\`\n${escapeMrkdwn(text.replace(/```/g, "'''"))}\n\`\`\``;
}

/**
 * Everything meshops sends to Slack as mrkdwn goes through this: no token ever leaves in a message, and only the
 * bot's own mentions stay markup (see mrkdwn.ts).
 */
export function safeText(text: string): string {
  return escapeAllButOwnMarkup(scrubSecrets(text));
}

/** File contents are not mrkdwn: scrubbed of secrets, never escaped. */
export function safeFileText(text: string): string {
  return scrubSecrets(text);
}

export function section(text: string): { type: 'section'; text: { type: 'mrkdwn'; text: string } } {
  return { type: 'section', text: { type: 'mrkdwn', text: fitSection(safeText(text)) } };
}

/** Cuts text to a section's 3000 characters at a line end, closes a cut code block, and says how much is left. */
export function fitSection(t: string, limit = SECTION_TEXT_LIMIT): string {
  if (t.length <= limit) return t;
  const room = limit - 40;
  const lastNewline = t.lastIndexOf('\n', room);
  let cut = t.slice(0, lastNewline > room / 2 ? lastNewline : room);
  const rest = t
    .slice(cut.length)
    .split('\n')
    .filter((l) => l.trim() !== '' && l.trim() !== '```').length;
  if ((cut.match(/```/g) ?? []).length % 2 === 1) cut += '\n```';
  return `${cut}\n… and ${rest} more line${rest === 1 ? '' : 's'}`;
}

export function context(text: string): { type: 'context'; elements: Array<{ type: 'mrkdwn'; text: string }> } {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: safeText(text).slice(0, 3000) }] };
}

/** "5 minutes", "30 seconds": how long a button stays valid. */
export const minutes = (ms: number) => {
  const m = Math.round(ms / 60_000);
  return m >= 1 ? `${m} minute${m === 1 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`;
};

/** "14:05 UTC": when a button expires or was pressed, as people in any time zone can read it. */
export const utcTime = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;
