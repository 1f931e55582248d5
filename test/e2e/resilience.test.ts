// /mesh up when things go wrong: a missing IAM permission stops it at once with the permission named; with 20% of
// AWS calls throttled and the bot killed again and again at step boundaries, it still completes and makes every
// resource exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { countMesh, expectedCounts, sandboxFor, seen, stepsOfNewWork, ZERO } from './helpers.ts';

/** Kill after every Nth finished step: 1 kills at every step boundary (slow); CI uses a spread. */
const KILL_EVERY = Number(process.env.E2E_KILL_EVERY ?? 5);
/**
 * At most this many kills: BullMQ fails a job found stalled more often than the workers' maxStalledCount (5,
 * src/queue/worker.ts). How many kills a run gets depends on how the steps' ends fall between two looks, and a
 * faster up got a sixth, which tested that limit instead of resuming.
 */
const MAX_KILLS = 4;

let sb: Sandbox;

beforeAll(async () => {
  // A short lock, so that a killed worker's job moves to the next worker within seconds.
  sb = await sandboxFor('resilience', { botEnv: { WORKER_LOCK_SECONDS: '4' } });
}, 120_000);

afterAll(async () => {
  sb?.cloud.faults.clear();
  await sb?.stop();
});

describe('faults during /mesh up', () => {
  it('a missing IAM permission stops up at once, naming the permission and the AWS error code', async () => {
    sb.cloud.faults.deny(['iam:CreateRole']);
    const up = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(up.ok).toBe(false);
    const text = [seen(up.anchor), ...up.thread.map((m) => seen(m))].join('\n');
    expect(text).toContain('iam:CreateRole');
    expect(text).toMatch(/AccessDenied/);
    expect(text).toMatch(/run `\/mesh up` again/i);
    // Not retried: a permission does not appear by waiting.
    expect(text).not.toMatch(/trying again automatically/);
    sb.cloud.faults.clear();
  }, 300_000);

  it(`with 20% of AWS calls throttled and the bot killed after every ${KILL_EVERY} steps, up completes and makes everything exactly once`, async () => {
    sb.cloud.faults.add({ service: '*', rate: 0.2, kind: 'throttle' });
    const anchor = (await sb.send(`up --confirm ${sb.spec.name}`))!;
    expect(anchor).toBeDefined();
    let kills = 0;
    let lastKillAt = 0;
    const doneSteps = () => stepsOfNewWork(sb, anchor.ts);
    const isFinal = () =>
      /^(:white_check_mark:|:x:|:no_entry_sign:)/.test(
        sb.slack.messages('C0MESHOPS').find((m) => m.ts === anchor.ts)?.text ?? '',
      );
    const deadline = Date.now() + 600_000;
    while (!isFinal() && Date.now() < deadline) {
      const done = doneSteps();
      if (done - lastKillAt >= KILL_EVERY && kills < MAX_KILLS) {
        await sb.killBot('SIGKILL');
        kills++;
        lastKillAt = done;
        await sb.startBot();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const outcome = await sb.settle(anchor, 60_000);
    sb.cloud.faults.clear();
    expect(outcome.ok, seen(outcome.anchor)).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(outcome.thread.some((m) => /Resuming/.test(m.text))).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
    // A clean run's state: everything verified.
    const ping = await sb.run('ping iad all');
    expect(ping.ok, seen(ping.anchor)).toBe(true);
  }, 900_000);

  it('down leaves nothing', async () => {
    const down = await sb.run('down --confirm demo', { timeoutMs: 300_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 300_000);
});
