import { describe, expect, it } from 'vitest';
import { costOfObserved, estimateHourlyCost, formatCost, loadPrices, parsePrices } from '../../../src/cost.ts';
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

  it('rejects a price table with a missing field', () => {
    expect(() =>
      parsePrices('currency: USD\nhoursPerMonth: 730\nregions:\n  us-east-1:\n    eksClusterHour: 0.1\n'),
    ).toThrow();
  });
});
