// IPv4 CIDR arithmetic for the diagnosis (overlapping pod CIDRs, a rule's CIDR covering the peer's).

function toInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function cidrRange(cidr: string): { first: number; last: number } {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? 32);
  const size = 2 ** (32 - bits);
  const first = Math.floor(toInt(ip) / size) * size;
  return { first, last: first + size - 1 };
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return x.first <= y.last && y.first <= x.last;
}

/** True when `outer` contains all of `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = cidrRange(outer);
  const i = cidrRange(inner);
  return o.first <= i.first && i.last <= o.last;
}
