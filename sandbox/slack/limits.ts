// Slack's documented message limits, checked the way the Web API checks them: a message that breaks one is
// refused (msg_too_long, invalid_blocks, no_text) with the json-pointer of the offending field, as Slack reports it.

export const MAX_TEXT_CHARS = 40_000;
export const MAX_BLOCKS = 50;
const SECTION_TEXT_MAX = 3000;
const SECTION_FIELDS_MAX = 10;
const SECTION_FIELD_TEXT_MAX = 2000;
const HEADER_TEXT_MAX = 150;
const BLOCK_ID_MAX = 255;
const CONTEXT_ELEMENTS_MAX = 10;
const ACTIONS_ELEMENTS_MAX = 25;
const BUTTON_TEXT_MAX = 75;
const ACTION_ID_MAX = 255;
const BUTTON_VALUE_MAX = 2000;
const URL_MAX = 3000;
const KNOWN_BLOCKS = new Set([
  'section',
  'context',
  'header',
  'divider',
  'actions',
  'image',
  'rich_text',
  'markdown',
  'file',
  'input',
  'video',
]);

export type LimitError = {
  error: 'msg_too_long' | 'invalid_blocks' | 'no_text' | 'invalid_blocks_format';
  problems: string[];
};

type Json = Record<string, unknown>;

/** Checks text and blocks of a message about to be posted or edited; undefined when Slack would accept it. */
export function checkMessage(
  text: unknown,
  blocks: unknown,
  opts: { requireContent: boolean },
): LimitError | undefined {
  if (typeof text === 'string' && text.length > MAX_TEXT_CHARS) return { error: 'msg_too_long', problems: [] };
  if (blocks !== undefined) {
    if (!Array.isArray(blocks))
      return { error: 'invalid_blocks_format', problems: ['must be an array [json-pointer:/blocks]'] };
    const problems = blockProblems(blocks);
    if (problems.length > 0) return { error: 'invalid_blocks', problems };
  }
  const hasText = typeof text === 'string' && text.trim().length > 0;
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  if (opts.requireContent && !hasText && !hasBlocks) return { error: 'no_text', problems: [] };
  return undefined;
}

/** Parses a `blocks` argument, which form-encoded callers send as a JSON string. */
export function parseBlocksArg(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw; // checkMessage reports it as invalid_blocks_format
  }
}

function blockProblems(blocks: unknown[]): string[] {
  const problems: string[] = [];
  if (blocks.length > MAX_BLOCKS)
    problems.push(`must provide an array of no more than ${MAX_BLOCKS} items [json-pointer:/blocks]`);
  blocks.forEach((b, i) => problems.push(...oneBlock(b, `/blocks/${i}`)));
  return problems;
}

function oneBlock(raw: unknown, at: string): string[] {
  if (!isObj(raw)) return [`must be an object [json-pointer:${at}]`];
  const b = raw;
  const p: string[] = [];
  if (typeof b.type !== 'string' || !KNOWN_BLOCKS.has(b.type))
    return [`unsupported type: ${String(b.type)} [json-pointer:${at}/type]`];
  if (typeof b.block_id === 'string') maxLen(p, b.block_id, BLOCK_ID_MAX, `${at}/block_id`);
  switch (b.type) {
    case 'section': {
      if (b.text === undefined && b.fields === undefined)
        p.push(`must provide either text or fields [json-pointer:${at}]`);
      if (b.text !== undefined) p.push(...textObject(b.text, `${at}/text`, SECTION_TEXT_MAX, false));
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields)) p.push(`must be an array [json-pointer:${at}/fields]`);
        else {
          if (b.fields.length > SECTION_FIELDS_MAX)
            p.push(`must provide an array of no more than ${SECTION_FIELDS_MAX} items [json-pointer:${at}/fields]`);
          b.fields.forEach((f, j) => p.push(...textObject(f, `${at}/fields/${j}`, SECTION_FIELD_TEXT_MAX, false)));
        }
      }
      if (b.accessory !== undefined) p.push(...element(b.accessory, `${at}/accessory`));
      break;
    }
    case 'header':
      p.push(...textObject(b.text, `${at}/text`, HEADER_TEXT_MAX, true));
      break;
    case 'context':
      if (!Array.isArray(b.elements) || b.elements.length === 0)
        p.push(`must provide a non-empty array [json-pointer:${at}/elements]`);
      else {
        if (b.elements.length > CONTEXT_ELEMENTS_MAX)
          p.push(`must provide an array of no more than ${CONTEXT_ELEMENTS_MAX} items [json-pointer:${at}/elements]`);
        b.elements.forEach((e, j) => {
          if (isObj(e) && e.type === 'image') return;
          p.push(...textObject(e, `${at}/elements/${j}`, SECTION_TEXT_MAX, false));
        });
      }
      break;
    case 'actions':
      if (!Array.isArray(b.elements) || b.elements.length === 0)
        p.push(`must provide a non-empty array [json-pointer:${at}/elements]`);
      else {
        if (b.elements.length > ACTIONS_ELEMENTS_MAX)
          p.push(`must provide an array of no more than ${ACTIONS_ELEMENTS_MAX} items [json-pointer:${at}/elements]`);
        b.elements.forEach((e, j) => p.push(...element(e, `${at}/elements/${j}`)));
      }
      break;
    case 'image':
      if (typeof b.image_url === 'string') maxLen(p, b.image_url, URL_MAX, `${at}/image_url`);
      if (typeof b.alt_text !== 'string') p.push(`must provide a string [json-pointer:${at}/alt_text]`);
      break;
    default:
      break;
  }
  return p;
}

function element(raw: unknown, at: string): string[] {
  if (!isObj(raw)) return [`must be an object [json-pointer:${at}]`];
  const p: string[] = [];
  if (raw.type === 'button') {
    p.push(...textObject(raw.text, `${at}/text`, BUTTON_TEXT_MAX, true));
    if (typeof raw.action_id === 'string') maxLen(p, raw.action_id, ACTION_ID_MAX, `${at}/action_id`);
    if (typeof raw.value === 'string') maxLen(p, raw.value, BUTTON_VALUE_MAX, `${at}/value`);
    if (typeof raw.url === 'string') maxLen(p, raw.url, URL_MAX, `${at}/url`);
    if (raw.style !== undefined && raw.style !== 'primary' && raw.style !== 'danger')
      p.push(`must be one of primary, danger [json-pointer:${at}/style]`);
  }
  return p;
}

function textObject(raw: unknown, at: string, max: number, plainOnly: boolean): string[] {
  if (!isObj(raw)) return [`must be a text object [json-pointer:${at}]`];
  const p: string[] = [];
  if (raw.type !== 'plain_text' && raw.type !== 'mrkdwn')
    p.push(`must be one of plain_text, mrkdwn [json-pointer:${at}/type]`);
  else if (plainOnly && raw.type !== 'plain_text') p.push(`must be plain_text [json-pointer:${at}/type]`);
  if (typeof raw.text !== 'string' || raw.text.length === 0)
    p.push(`must be more than 0 characters [json-pointer:${at}/text]`);
  else maxLen(p, raw.text, max, `${at}/text`);
  return p;
}

function maxLen(p: string[], s: string, max: number, at: string): void {
  if (s.length > max) p.push(`must be less than ${max + 1} characters [json-pointer:${at}]`);
}

function isObj(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
