// Calico's label selector language, the part federated services use: ==, !=, has(), !has(), in {}, not in {},
// all(), !, &&, || and parentheses.
type Labels = Record<string, string>;
type Pred = (l: Labels) => boolean;

export class SelectorError extends Error {}

export function parseCalicoSelector(text: string): Pred {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (expected !== undefined && t !== expected)
      throw new SelectorError(`expected ${expected} but found ${t ?? 'end'} in selector "${text}"`);
    if (t === undefined) throw new SelectorError(`unexpected end of selector "${text}"`);
    return t;
  };
  const isLiteral = (t: string | undefined) => !!t && (t.startsWith("'") || t.startsWith('"'));
  const literal = () => {
    const t = take();
    if (!isLiteral(t)) throw new SelectorError(`expected a quoted value but found ${t} in selector "${text}"`);
    return t.slice(1, -1);
  };
  const set = () => {
    take('{');
    const values: string[] = [];
    while (peek() !== '}') {
      values.push(literal());
      if (peek() === ',') take(',');
    }
    take('}');
    return values;
  };
  const primary = (): Pred => {
    const t = peek();
    if (t === '(') {
      take('(');
      const inner = or();
      take(')');
      return inner;
    }
    if (t === '!') {
      take('!');
      const inner = primary();
      return (l) => !inner(l);
    }
    if (t === 'all') {
      take('all');
      take('(');
      take(')');
      return () => true;
    }
    if (t === 'has') {
      take('has');
      take('(');
      const key = take();
      take(')');
      return (l) => Object.hasOwn(l, key);
    }
    const key = take();
    if (!/^[A-Za-z0-9_./-]+$/.test(key)) throw new SelectorError(`unexpected ${key} in selector "${text}"`);
    const op = take();
    if (op === '==') {
      const v = literal();
      return (l) => l[key] === v;
    }
    if (op === '!=') {
      const v = literal();
      return (l) => l[key] !== v;
    }
    if (op === 'in') {
      const vs = set();
      return (l) => Object.hasOwn(l, key) && vs.includes(l[key]);
    }
    if (op === 'not') {
      take('in');
      const vs = set();
      return (l) => !(Object.hasOwn(l, key) && vs.includes(l[key]));
    }
    throw new SelectorError(`unknown operator ${op} in selector "${text}"`);
  };
  const and = (): Pred => {
    let left = primary();
    while (peek() === '&&') {
      take('&&');
      const l0 = left;
      const r = primary();
      left = (l) => l0(l) && r(l);
    }
    return left;
  };
  const or = (): Pred => {
    let left = and();
    while (peek() === '||') {
      take('||');
      const l0 = left;
      const r = and();
      left = (l) => l0(l) || r(l);
    }
    return left;
  };
  if (tokens.length === 0) return () => true; // an empty selector selects everything, as in Calico
  const pred = or();
  if (i !== tokens.length) throw new SelectorError(`unexpected ${tokens[i]} in selector "${text}"`);
  return pred;
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(&&|\|\||==|!=|[(){},!]|'[^']*'|"[^"]*"|[A-Za-z0-9_./-]+)/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new SelectorError(`cannot parse selector "${text}" at "${text.slice(pos)}"`);
    out.push(m[1]);
    pos = re.lastIndex;
  }
  return out;
}
