import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  costOfObserved,
  DEFAULT_PRICES_PATH,
  estimateHourlyCost,
  formatCost,
  loadPrices,
  parsePrices,
} from '../../../src/cost.ts';
import { meshSpec } from '../../aws/harness.ts';

describe('cost', () => {
  it('estimates the blueprint mesh per hour from infra/prices.yaml', async () => {
    const prices = await loadPrices();
    const b = estimateHourlyCost(meshSpec('demo'), prices);
    // Per region: EKS 0.10 + 3 × m5.xlarge 0.192 + 3 × 100 GiB × 0.10/730 + 2 NAT × 0.045 + 2 IPv4 × 0.005
    const perRegion = 0.1 + 3 * 0.192 + (3 * Math.round(((100 * 0.1) / 730) * 1e5)) / 1e5 + 2 * 0.045 + 2 * 0.005;
    expect(b.totalHourly).toBeCloseTo(2 * perRegion, 3);
    expect(b.unpriced).toEqual([]);
    expect(b.lines.find((l) => l.region === 'us-west-2' && l.item === 'm5.xlarge node')).toMatchObject({
      quantity: 3,
      unitHourly: 0.192,
    });
    expect(formatCost(b)).toMatch(/total ≈ \$1\.\d\d\/h/);
  });

  it('lists what it has no price for instead of guessing', async () => {
    const prices = await loadPrices();
    const b = costOfObserved(
      [
        {
          region: 'eu-north-1',
          eksClusters: 1,
          nodes: [{ instanceType: 'm5.xlarge', count: 2, diskGiB: 20 }],
          natGateways: 0,
          publicIpv4: 0,
        },
      ],
      prices,
    );
    expect(b.totalHourly).toBe(0);
    expect(b.unpriced).toEqual([
      '1 × EKS control plane in eu-north-1',
      '2 × m5.xlarge node in eu-north-1',
      '2 × 20 GiB node volume in eu-north-1',
    ]);
  });

  it("prices load balancers per hour by type, at AWS's list price, and says their use-based charges are left out", async () => {
    const prices = await loadPrices();
    const none = { eksClusters: 0, nodes: [], natGateways: 0, publicIpv4: 0 };
    const b = costOfObserved(
      [
        { region: 'us-east-1', ...none, loadBalancers: { classic: 1, network: 2 } },
        { region: 'us-west-2', ...none, loadBalancers: { network: 1 } },
      ],
      prices,
    );
    expect(b.lines.map((l) => `${l.region} ${l.quantity} × ${l.item} @ ${l.unitHourly}`)).toEqual([
      'us-east-1 1 × Classic load balancer @ 0.025',
      'us-east-1 2 × network load balancer @ 0.0225',
      'us-west-2 1 × network load balancer @ 0.0225',
    ]);
    expect(b.totalHourly).toBeCloseTo(0.025 + 3 * 0.0225, 4);
    expect(b.note).toMatch(/capacity units \(LCU\/NLCU\) or per-GB data/);
    // Without load balancers the note stays as it was.
    expect(costOfObserved([{ region: 'us-east-1', ...none }], prices).note).not.toMatch(/LCU/);
  });

  it('rejects a price table with a missing field', () => {
    expect(() =>
      parsePrices('currency: USD\nhoursPerMonth: 730\nregions:\n  us-east-1:\n    eksClusterHour: 0.1\n'),
    ).toThrow();
  });

  it('parses a price file once and shares it frozen; a changed file is read again', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.yaml');
    const text = readFileSync(DEFAULT_PRICES_PATH, 'utf8');
    writeFileSync(path, text);
    const first = await loadPrices(path);
    expect(await loadPrices(path)).toBe(first);
    expect(() => {
      (first.regions['us-east-1'] as { natGatewayHour: number }).natGatewayHour = 0;
    }).toThrow(TypeError);
    writeFileSync(path, text.replace(/natGatewayHour: 0\.045/, 'natGatewayHour: 0.05'));
    const changed = await loadPrices(path);
    expect(changed).not.toBe(first);
    expect(changed.regions['us-east-1']!.natGatewayHour).toBe(0.05);
  });
});
