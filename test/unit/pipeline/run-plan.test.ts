// A job's plan run with a real ProgressReporter over an in-memory Slack client: what the thread and the error
// that becomes the job's headline say when several siblings of a parallel group fail.
import type { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runPlanJob } from '../../../jobs/run-plan.ts';
import { systemClock } from '../../../src/clock.ts';
import { PermanentError } from '../../../src/errors.ts';
import type { JobContext } from '../../../src/queue/worker.ts';
import { ProgressReporter } from '../../../src/slack/reporter.ts';
import { PlanFailedError } from '../../../src/steps/runner.ts';
import { leaf, parallel, sequential } from '../../../src/steps/step.ts';

const log = pino({ level: 'silent' });

function jobContext() {
  const thread: string[] = [];
  const client = {
    chat: {
      postMessage: async (msg: { thread_ts?: string; text: string }) => {
        if (msg.thread_ts) thread.push(msg.text);
        return { ok: true, ts: '1.000100' };
      },
      update: async () => ({ ok: true }),
    },
    files: { uploadV2: async () => ({ ok: true }) },
  } as unknown as WebClient;
  const reporter = new ProgressReporter({
    client,
    channel: 'C1',
    anchorTs: '1.000100',
    title: '/mesh up',
    jobId: '7',
    userId: 'U1',
    clock: systemClock,
    log,
    minEditIntervalMs: 0,
  });
  const ctx = {
    log,
    signal: new AbortController().signal,
    checkpoint: async () => {},
    reporter,
  } as unknown as JobContext;
  return { ctx, reporter, thread };
}

const ok = (id: string) => leaf(id, `make ${id}`, async () => ({ summary: `${id} made`, changed: true }));
const broken = (id: string, error: Error) =>
  leaf(id, `make ${id}`, async () => {
    throw error;
  });

describe('a plan whose parallel siblings fail', () => {
  it('posts each failure in the thread and fails the job with all of them, to be retried', async () => {
    const { ctx, reporter, thread } = jobContext();
    const plan = sequential('up', 'mesh up', [
      parallel('net', 'networks', [
        broken('iad', new Error('throttled')),
        ok('fra'),
        broken('pdx', new Error('connection reset')),
      ]),
      ok('after'),
    ]);
    const err = await runPlanJob(ctx, systemClock, plan, { heading: 'plan' }).catch((e: unknown) => e);
    await reporter.flush();
    expect(err).toBeInstanceOf(PlanFailedError);
    expect(err).not.toBeInstanceOf(PermanentError);
    expect((err as Error).message).toBe('2 steps failed:\n• make iad: throttled\n• make pdx: connection reset');
    expect(thread.filter((t) => t.startsWith(':x:'))).toEqual([
      expect.stringMatching(/^:x: \*make iad\* failed after .*: throttled$/),
      expect.stringMatching(/^:x: \*make pdx\* failed after .*: connection reset$/),
    ]);
    expect(thread.some((t) => t.includes('make after'))).toBe(false);
  });

  it('is permanent when one of them is, with every failure and every hint in the message', async () => {
    const { ctx } = jobContext();
    const quota = new PermanentError('VpcLimitExceeded: the maximum number of VPCs has been reached', {
      code: 'VpcLimitExceeded',
      hint: 'Ask AWS for a higher VPC quota.',
    });
    const plan = parallel('net', 'networks', [broken('iad', quota), broken('pdx', new Error('connection reset'))]);
    const err = await runPlanJob(ctx, systemClock, plan, { heading: 'plan' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'VpcLimitExceeded', hint: 'Ask AWS for a higher VPC quota.' });
    expect((err as Error).message).toContain(
      '• make iad: VpcLimitExceeded: the maximum number of VPCs has been reached',
    );
    expect((err as Error).message).toContain('• make pdx: connection reset');
  });

  it('names the one step when only one fails, as before', async () => {
    const { ctx } = jobContext();
    const plan = parallel('net', 'networks', [broken('iad', new Error('throttled')), ok('pdx')]);
    const err = await runPlanJob(ctx, systemClock, plan, { heading: 'plan' }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('make iad: throttled');
    expect(err).not.toBeInstanceOf(PlanFailedError);
  });
});
