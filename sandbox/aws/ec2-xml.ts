// Careful edits of EC2's XML answers: find the top-level <item> of a set, read and replace one element.
// (String edits keep moto's XML byte for byte except for what the gateway changes.)

/** The top-level <item>...</item> blocks inside <setName>, with their positions. */
export function topLevelItems(xml: string, setName: string): Array<{ start: number; end: number; text: string }> {
  const open = xml.indexOf(`<${setName}>`);
  if (open < 0) return [];
  const close = xml.indexOf(`</${setName}>`, open);
  const items: Array<{ start: number; end: number; text: string }> = [];
  const tag = /<(\/?)item>/g;
  tag.lastIndex = open;
  let depth = 0;
  let start = -1;
  for (let m = tag.exec(xml); m && m.index < close; m = tag.exec(xml)) {
    if (m[1] === '') {
      if (depth === 0) start = m.index;
      depth++;
    } else {
      depth--;
      if (depth === 0 && start >= 0) {
        const end = m.index + m[0].length;
        items.push({ start, end, text: xml.slice(start, end) });
      }
    }
  }
  return items;
}

export function elementText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m?.[1];
}

export function replaceElement(xml: string, name: string, value: string): string {
  return xml.replace(new RegExp(`<${name}>[^<]*</${name}>`), `<${name}>${value}</${name}>`);
}

/** Replaces the given items (by position) with new text; undefined removes the item. */
export function rewriteItems(
  xml: string,
  items: Array<{ start: number; end: number }>,
  replacement: Array<string | undefined>,
): string {
  let out = '';
  let at = 0;
  items.forEach((item, i) => {
    out += xml.slice(at, item.start) + (replacement[i] ?? '');
    at = item.end;
  });
  return out + xml.slice(at);
}
