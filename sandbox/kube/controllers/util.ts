// Small helpers the controllers share: owner references, label selectors, generated names, IPv4 arithmetic.
import { createHash, randomBytes } from 'node:crypto';
import type { KubeObject } from '../store.ts';
import { stableStringify } from './runtime.ts';

export function ownerRef(owner: KubeObject, controller = true) {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller,
    blockOwnerDeletion: true,
  };
}

export function controllerOf(obj: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller);
}

/** A Service's plain map selector. */
export function matchesMap(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => l[k] === v);
}

const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
/** The random suffix Kubernetes uses for generated names (5 characters from a vowel-free alphabet). */
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

/** Stable 10-character hash of a pod template, like pod-template-hash. */
export function templateHash(template: unknown): string {
  const hex = createHash('sha256')
    .update(stableStringify(template ?? {}))
    .digest();
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[hex[i] % alphabet.length];
  return s;
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; size: number; prefix: number } {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipToInt(ip) / size) * size;
  return { base, size, prefix };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const { base, size } = parseCidr(cidr);
  const n = ipToInt(ip);
  return n >= base && n < base + size;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.base < y.base + y.size && y.base < x.base + x.size;
}

export function isValidCidr(cidr: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return false;
  return m.slice(1, 5).every((p) => Number(p) <= 255) && Number(m[5]) <= 32;
}

export function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

export function unb64(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
}

export function isoNow(now = Date.now()): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
