// Small IPv4 CIDR helpers: enough to validate a mesh spec and lay out subnets (Terraform's cidrsubnet).

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
  /** Canonical text, e.g. "10.0.0.0/16". */
  text: string;
}

export type CidrParse = { ok: true; cidr: Cidr } | { ok: false; reason: string };

const CIDR_FORM = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function ipToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n"; rejects host bits, because AWS and Calico would silently use a different range. */
export function parseCidr(text: string): CidrParse {
  const m = CIDR_FORM.exec(text.trim());
  if (!m) return { ok: false, reason: 'is not IPv4 CIDR notation (like 10.0.0.0/16)' };
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) return { ok: false, reason: 'has an octet above 255' };
  if (prefix > 32) return { ok: false, reason: 'has a prefix length above /32' };
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const base = (addr & maskOf(prefix)) >>> 0;
  if (base !== addr) {
    return { ok: false, reason: `has host bits set (did you mean ${ipToString(base)}/${prefix}?)` };
  }
  return { ok: true, cidr: { base, prefix, text: `${ipToString(base)}/${prefix}` } };
}

/** Like parseCidr but throws: for values already validated. */
export function cidr(text: string): Cidr {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(`${text} ${r.reason}`);
  return r.cidr;
}

function lastAddress(c: Cidr): number {
  return (c.base + 2 ** (32 - c.prefix) - 1) >>> 0;
}

/** True when the two ranges share at least one address. */
export function overlaps(a: Cidr | string, b: Cidr | string): boolean {
  const x = typeof a === 'string' ? cidr(a) : a;
  const y = typeof b === 'string' ? cidr(b) : b;
  return x.base <= lastAddress(y) && y.base <= lastAddress(x);
}

/** True when `inner` lies entirely within `outer`. */
export function contains(outer: Cidr | string, inner: Cidr | string): boolean {
  const o = typeof outer === 'string' ? cidr(outer) : outer;
  const i = typeof inner === 'string' ? cidr(inner) : inner;
  return i.prefix >= o.prefix && i.base >= o.base && lastAddress(i) <= lastAddress(o);
}

/** Terraform's cidrsubnet(prefix, newbits, netnum). */
export function cidrSubnet(parent: Cidr | string, newbits: number, netnum: number): string {
  const p = typeof parent === 'string' ? cidr(parent) : parent;
  const prefix = p.prefix + newbits;
  if (!Number.isInteger(newbits) || newbits < 0 || prefix > 32) {
    throw new Error(`cidrsubnet: ${p.text} has no room for ${newbits} more bits`);
  }
  if (!Number.isInteger(netnum) || netnum < 0 || netnum >= 2 ** newbits) {
    throw new Error(`cidrsubnet: netnum ${netnum} does not fit in ${newbits} bits`);
  }
  const base = (p.base + netnum * 2 ** (32 - prefix)) >>> 0;
  return `${ipToString(base)}/${prefix}`;
}

export interface SubnetLayout {
  /** Index k = the k-th availability zone (the first two are used). */
  public: [string, string];
  private: [string, string];
}

/**
 * The reference blueprint's subnets: public cidrsubnet(vpc, 4, k), private cidrsubnet(vpc, 4, k + 10), for the
 * first two AZs. A /16 VPC gives /20 subnets.
 */
export function subnetLayout(vpcCidr: string): SubnetLayout {
  const vpc = cidr(vpcCidr);
  return {
    public: [cidrSubnet(vpc, 4, 0), cidrSubnet(vpc, 4, 1)],
    private: [cidrSubnet(vpc, 4, 10), cidrSubnet(vpc, 4, 11)],
  };
}
