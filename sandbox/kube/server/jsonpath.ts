// The small JSONPath subset CRD printer columns use: .a.b, [0], [*], [?(@.type=='Ready')].
type Json = unknown;

function tokenize(path: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  const p = path
    .trim()
    .replace(/^\{|\}$/g, '')
    .replace(/^\$/, '');
  while (i < p.length) {
    if (p[i] === '.') {
      let j = i + 1;
      while (j < p.length && p[j] !== '.' && p[j] !== '[') j++;
      if (j > i + 1) tokens.push(p.slice(i + 1, j));
      i = j;
    } else if (p[i] === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) break;
      tokens.push(p.slice(i, end + 1));
      i = end + 1;
    } else i++;
  }
  return tokens;
}

function step(values: Json[], token: string): Json[] {
  const out: Json[] = [];
  for (const v of values) {
    if (token.startsWith('[?(')) {
      const m = /^\[\?\(@\.([\w.-]+)\s*(==|!=)\s*['"]?([^'"]*)['"]?\)\]$/.exec(token);
      if (!m || !Array.isArray(v)) continue;
      for (const item of v) {
        const field = m[1]!
          .split('.')
          .reduce<Json>(
            (acc, k) => (acc && typeof acc === 'object' ? (acc as Record<string, Json>)[k] : undefined),
            item,
          );
        if ((String(field) === m[3]) === (m[2] === '==')) out.push(item);
      }
    } else if (token === '[*]') {
      if (Array.isArray(v)) out.push(...v);
      else if (v && typeof v === 'object') out.push(...Object.values(v));
    } else if (token.startsWith('[')) {
      const inner = token.slice(1, -1).replace(/^['"]|['"]$/g, '');
      if (Array.isArray(v) && /^-?\d+$/.test(inner)) {
        const idx = Number(inner);
        const item = v[idx < 0 ? v.length + idx : idx];
        if (item !== undefined) out.push(item);
      } else if (v && typeof v === 'object' && inner in (v as object)) out.push((v as Record<string, Json>)[inner]);
    } else if (v && typeof v === 'object' && !Array.isArray(v) && token in (v as object)) {
      out.push((v as Record<string, Json>)[token]);
    }
  }
  return out;
}

export function evaluateJsonPath(obj: unknown, path: string): unknown[] {
  return tokenize(path).reduce<Json[]>((values, token) => step(values, token), [obj]);
}
