import { describe, expect, it } from 'vitest';
import { cidrSubnet, contains, overlaps, parseCidr, subnetLayout } from '../../../src/config/cidr.ts';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/16', '10.0.0.0/16'],
    [' 192.168.1.0/24 ', '192.168.1.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255/32', '255.255.255.255/32'],
  ])('accepts %s', (text, canonical) => {
    const r = parseCidr(text);
    expect(r.ok && r.cidr.text).toBe(canonical);
  });

  it.each([
    ['10.0.0/16', 'not IPv4 CIDR notation'],
    ['10.0.0.0', 'not IPv4 CIDR notation'],
    ['10.0.0.256/24', 'octet above 255'],
    ['10.0.0.0/33', 'above /32'],
    ['10.0.0.1/16', 'did you mean 10.0.0.0/16?'],
    ['fd00::/8', 'not IPv4 CIDR notation'],
  ])('rejects %s (%s)', (text, reason) => {
    const r = parseCidr(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('overlaps and contains', () => {
  it.each([
    ['10.0.0.0/16', '10.1.0.0/16', false],
    ['10.0.0.0/16', '10.0.255.0/24', true],
    ['10.0.0.0/8', '10.200.0.0/16', true],
    ['192.168.1.0/24', '192.168.2.0/24', false],
    ['192.168.1.0/24', '192.168.1.128/25', true],
    ['192.168.1.0/25', '192.168.1.128/25', false],
  ])('%s and %s overlap: %s', (a, b, want) => {
    expect(overlaps(a, b)).toBe(want);
    expect(overlaps(b, a)).toBe(want);
  });

  it('contains a subnet but not its parent', () => {
    expect(contains('10.0.0.0/16', '10.0.16.0/20')).toBe(true);
    expect(contains('10.0.16.0/20', '10.0.0.0/16')).toBe(false);
  });
});

describe('cidrSubnet (Terraform semantics)', () => {
  it.each([
    ['10.0.0.0/16', 4, 0, '10.0.0.0/20'],
    ['10.0.0.0/16', 4, 1, '10.0.16.0/20'],
    ['10.0.0.0/16', 4, 10, '10.0.160.0/20'],
    ['10.0.0.0/16', 4, 15, '10.0.240.0/20'],
    ['10.1.0.0/20', 4, 11, '10.1.11.0/24'],
  ])('cidrsubnet(%s, %i, %i) = %s', (parent, bits, num, want) => {
    expect(cidrSubnet(parent, bits, num)).toBe(want);
  });

  it('refuses a netnum that does not fit', () => {
    expect(() => cidrSubnet('10.0.0.0/16', 4, 16)).toThrow(/does not fit/);
  });
});

describe('subnetLayout', () => {
  it("lays out the blueprint's public k and private k+10 /20s for two AZs", () => {
    expect(subnetLayout('10.0.0.0/16')).toEqual({
      public: ['10.0.0.0/20', '10.0.16.0/20'],
      private: ['10.0.160.0/20', '10.0.176.0/20'],
    });
    expect(subnetLayout('10.1.0.0/16').private).toEqual(['10.1.160.0/20', '10.1.176.0/20']);
  });
});
