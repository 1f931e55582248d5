// The /mesh up plan message: what it lists, and a button value that names the mesh and expires with the setting.
import { describe, expect, it } from 'vitest';
import { APPLY_ACTION, APPLY_CANCEL_ACTION, applyBlocks, expiredOutcome } from '../../../src/slack/apply-confirm.ts';
import { readConfirmValue, settledBlocks } from '../../../src/slack/down-confirm.ts';

const NOW = Date.parse('2026-12-02T01:00:00Z');
const plan = (todo: string[], ttlMs = 300_000) =>
  applyBlocks({ mesh: 'demo', todo, total: 42, cost: 'total  $1.23/h', now: NOW, ttlMs, nonce: 'n'.repeat(36) });
const buttons = (blocks: unknown[]) =>
  (blocks.find((b) => (b as { type: string }).type === 'actions') as { elements: Array<Record<string, unknown>> })
    .elements;

describe('the Apply message of /mesh up', () => {
  it('lists what will be made, the cost, and Apply and Cancel with one value that expires after the TTL', () => {
    const blocks = plan(['VPC iad', 'EKS control plane pdx']);
    const text = JSON.stringify(blocks);
    expect(text).toContain('2 of 42 steps will create, repair or wait for something');
    expect(text).toContain('• EKS control plane pdx');
    expect(text).toContain('$1.23/h');
    expect(text).toContain('they expire in 5 minutes (at 01:05 UTC)');
    expect(text).toContain('/mesh up --confirm demo');
    const [apply, cancel] = buttons(blocks);
    expect(apply!.action_id).toBe(APPLY_ACTION);
    expect(cancel!.action_id).toBe(APPLY_CANCEL_ACTION);
    expect(apply!.value).toBe(cancel!.value);
    expect(readConfirmValue(String(apply!.value), 'demo', NOW + 299_000).ok).toBe(true);
    const late = readConfirmValue(String(apply!.value), 'demo', NOW + 301_000);
    expect(late).toMatchObject({ ok: false, expired: true, value: { nonce: 'n'.repeat(36), exp: NOW + 300_000 } });
    expect(readConfirmValue(String(apply!.value), 'prod', NOW).ok).toBe(false);
  });

  it('cuts a long list with "... and N more", and keeps the plan and cost once settled', () => {
    const blocks = plan(
      Array.from({ length: 40 }, (_, i) => `step ${i}`),
      20_000,
    );
    const text = JSON.stringify(blocks);
    expect(text).toContain('… and 15 more');
    expect(text).toContain('they expire in 20 seconds');
    const settled = settledBlocks(blocks, expiredOutcome('demo', NOW + 20_000), ['plan', 'cost']);
    expect(JSON.stringify(settled)).toContain('step 0');
    expect(JSON.stringify(settled)).toContain('This plan expired at 01:00 UTC without an Apply');
    expect(JSON.stringify(settled)).not.toContain(APPLY_ACTION);
  });
});
