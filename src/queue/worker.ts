// The worker role: BullMQ Workers on both queues of the mesh. Each job gets a child logger, a reporter, an
// AbortSignal and a checkpoint (the safe points where cancel and shutdown take effect).

import type { WebClient } from '@slack/web-api';
import { type ConnectionOptions, DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { CancelledError, errorMessage, PermanentError, WaitTimeoutError } from '../errors.ts';
import { mapLimited } from '../map-limited.ts';
import { type JobOutcome, jobEnded, jobStarted } from '../metrics/jobs.ts';
import type { EditBudget } from '../slack/edit-budget.ts';
import { escapeMrkdwn } from '../slack/mrkdwn.ts';
import { ProgressReporter } from '../slack/reporter.ts';
import { PlanFailedError } from '../steps/runner.ts';
import { anchorClaim, forgetAnchors, recordedAnchor, settleAnchor } from './anchor.ts';
import { cancelRequestedBy } from './cancel.ts';
import {
  close as closeJoining,
  coalesces,
  giveBack,
  JOINER_CLAIM_SECONDS,
  type Joiner,
  joinerAnchorKey,
  joinerAnchorPrefix,
} from './coalesce.ts';
import { jobNumber } from './enqueue.ts';
import type { HandedBackAnswer, JobData, JobName, JobResult } from './job-types.ts';
import { queueNames } from './queues.ts';
import { reportStalledOut, STALLED_OUT_REASON } from './stalled-out.ts';
import { startTimers, type Timers } from './timers.ts';

export interface JobContext {
  job: Job<JobData, JobResult>;
  data: JobData;
  log: Logger;
  signal: AbortSignal;
  checkpoint(): Promise<void>;
  reporter: ProgressReporter;
  slack: WebClient;
  /** True when this job was started before (a worker died or shut down): the thread says it resumes. */
  resumed: boolean;
  /** Work due later (a confirmation's expiry), kept in Redis. */
  timers: Pick<Timers, 'expireConfirmation'>;
}

export type JobHandler = (ctx: JobContext) => Promise<JobResult>;

export interface WorkerOptions {
  connection: ConnectionOptions;
  redis: Redis;
  prefix: string;
  mesh: string;
  handlers: Record<JobName, JobHandler>;
  slack: WebClient;
  /** For progress edits: a client that answers a 429 at once (src/slack/client.ts); default `slack`. */
  slackEdits?: WebClient;
  /** The app's budget for progress edits, shared with every process (src/slack/shared-edit-budget.ts). */
  editBudget?: EditBudget;
  clock: Clock;
  log: Logger;
  readConcurrency?: number;
  /** How long a job's lock lives without renewal: a dead worker's job is picked up again after about this. */
  lockDurationMs?: number;
  describe(data: JobData): string;
  /** Called when a job has ended one way or another (the App Home refreshes). */
  onJobEnd?: () => void;
}

/** A job whose worker died more often than this is failed by BullMQ (and reported by stalled-out.ts). */
const MAX_STALLED_COUNT = 5;

/** How many joiners of a status are answered side by side. */
const JOINERS_AT_ONCE = 4;

/** Thrown at a safe point when the process is shutting down: the job goes back to the queue, not failed. */
export class ShuttingDown extends Error {}

export interface RunningWorkers {
  workers: Worker<JobData, JobResult>[];
  /** SIGTERM path: active jobs stop at their next safe point and return to the queue, then the workers close. */
  close(): Promise<void>;
}

export function startWorkers(opts: WorkerOptions): RunningWorkers {
  const names = queueNames(opts.prefix, opts.mesh);
  let shuttingDown = false;
  const controllers = new Set<AbortController>();
  const timers = startTimers({
    connection: opts.connection,
    redis: opts.redis,
    prefix: opts.prefix,
    mesh: opts.mesh,
    slack: opts.slack,
    log: opts.log,
    editBudget: opts.editBudget,
  });

  const logFor = (job: Job<JobData, JobResult>, data: JobData) =>
    opts.log.child({ jobId: job.id, command: data.name, user: data.userId, channel: data.channelId });
  const reporterFor = async (job: Job<JobData, JobResult>, data: JobData, log: Logger) =>
    new ProgressReporter({
      client: opts.slack,
      editClient: opts.slackEdits,
      budget: opts.editBudget,
      job: { name: data.name, command: data.command },
      channel: data.channelId,
      // Queued before its anchor was posted: the web role may have posted it since, or be posting it now (then
      // the claim makes the reporter wait for that one rather than post a second).
      anchorTs: data.anchorTs ?? (await recordedAnchor(opts.redis, opts.prefix, String(job.id))),
      anchorClaim: anchorClaim(opts.redis, opts.prefix, String(job.id)),
      title: opts.describe(data),
      jobId: jobNumber(job.id),
      userId: data.userId,
      clock: opts.clock,
      log,
    });

  const processor = async (job: Job<JobData, JobResult>, token?: string): Promise<JobResult> => {
    const starts = (job.data.starts ?? 0) + 1;
    await job.updateData({ ...job.data, starts });
    const data: JobData = { ...job.data, starts };
    const log = logFor(job, data);
    const abort = new AbortController();
    controllers.add(abort);
    const reporter = await reporterFor(job, data, log);
    const checkpoint = async () => {
      if (shuttingDown) throw new ShuttingDown('worker shutting down');
      const by = await cancelRequestedBy(opts.redis, opts.prefix, String(job.id));
      if (by) {
        abort.abort(new CancelledError(`cancelled by <@${by}>`));
        throw new CancelledError(`cancelled by <@${by}>`);
      }
    };
    const ctx: JobContext = {
      job,
      data,
      log,
      signal: abort.signal,
      checkpoint,
      reporter,
      slack: opts.slack,
      resumed: starts > 1,
      timers,
    };
    log.info({ attempt: job.attemptsMade + 1, starts }, 'job started');
    const began = performance.now();
    // Whether this run is the job's last (done, cancelled, or failed for good): then its anchor claim can go.
    let last = false;
    const ended = (outcome: JobOutcome) => {
      last = outcome !== 'retried' && outcome !== 'handed_back';
      jobEnded(data.name, outcome, (performance.now() - began) / 1000);
    };
    jobStarted(data.name, job.timestamp, job.processedOn ?? Date.now(), starts === 1);
    // Those who joined a status get its answer. A worker told to stop meanwhile hands the job back with the answer
    // and the joiners not answered yet, rather than hold the shutdown for as long as Slack takes to answer them all
    // (a post a second per channel); the next worker's run answers them with it.
    const answerJoinersOrHandBack = async (answer: HandedBackAnswer): Promise<void> => {
      try {
        await answerJoiners(opts, data, String(job.id), answer, log, () => shuttingDown);
      } catch (stop) {
        if (!(stop instanceof ShuttingDown)) throw stop;
        log.info({ outcome: answer.outcome }, 'status handed back with its answer and the joiners not answered yet');
        ended('handed_back');
        await job.updateData({ ...data, answer });
        await job.moveToDelayed(Date.now() + 1000, token);
        throw new DelayedError();
      }
    };
    const cleanUp = async () => {
      controllers.delete(abort);
      await reporter.flush().catch(() => undefined);
      if (last) await settleAnchor(opts.redis, opts.prefix, String(job.id)).catch(() => undefined);
      opts.onJobEnd?.();
    };
    if (data.answer) {
      // Back with its answer: the requester's anchor has it already; only the joiners left are to be answered.
      const { answer } = data;
      try {
        await answerJoinersOrHandBack(answer);
        log.info({ ok: answer.result.ok }, 'joiners answered with the answer the job came back with');
        ended(answer.outcome);
      } finally {
        await cleanUp();
      }
      // As the run that reached it ended: its handler returned the answer, or the job failed with its reason.
      if (answer.reason === undefined) return answer.result;
      throw new UnrecoverableError(answer.reason);
    }
    try {
      await checkpoint();
      if (!reporter.anchor) {
        // In the background: the job runs while the web role finishes posting its anchor (or Slack is slow);
        // edits and replies wait for it. Slack down: the next edit or reply tries again.
        void reporter
          .ensureAnchor()
          .then((ts) => job.updateData({ ...data, anchorTs: ts }))
          .catch((err: unknown) => log.warn({ err }, 'could not post the anchor message'));
      }
      if (starts > 1)
        void reporter.reply(
          ':repeat: Resuming: an earlier run of this job stopped (worker restart or retry). Steps already done are checked and skipped.',
        );
      await reporter.setState('running', '');
      const result = await opts.handlers[data.name](ctx);
      await reporter.finish(result.ok ? 'succeeded' : 'failed', result.summary, result.details, result.verdict);
      if (coalesces(data)) await answerJoinersOrHandBack({ result, outcome: result.ok ? 'succeeded' : 'failed' });
      log.info({ ok: result.ok }, 'job finished');
      ended(result.ok ? 'succeeded' : 'failed');
      return result;
    } catch (err) {
      // Handed back with its answer (above): nothing more to say on the anchor.
      if (err instanceof DelayedError) throw err;
      if (err instanceof ShuttingDown || (shuttingDown && abort.signal.aborted)) {
        log.info('job handed back to the queue at a safe point (shutdown)');
        ended('handed_back');
        await reporter.setState('queued', 'Paused: the worker is restarting; another worker continues this job.');
        await reporter.flush();
        await job.moveToDelayed(Date.now() + 1000, token);
        throw new DelayedError();
      }
      if (err instanceof CancelledError) {
        log.info({ reason: err.message }, 'job cancelled');
        await reporter.finish(
          'cancelled',
          `${err.message}. What was made so far is left in place; \`/mesh up\` continues it, \`/mesh down\` removes it.`,
        );
        if (coalesces(data))
          await answerJoinersOrHandBack({
            result: { ok: false, summary: `The status you joined was ${err.message}; run \`/mesh status\` again.` },
            outcome: 'cancelled',
            reason: err.message,
          });
        ended('cancelled');
        throw new UnrecoverableError(err.message);
      }
      const attemptsLeft = (job.opts.attempts ?? 1) - (job.attemptsMade + 1);
      const permanent = isPermanent(err);
      log.error({ err, attemptsLeft, permanent }, 'job failed');
      if (!permanent && attemptsLeft > 0) {
        ended('retried');
        await reporter.setState(
          'running',
          `:warning: ${escapeMrkdwn(errorMessage(err))} (transient): trying again automatically (${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left).`,
        );
        await reporter.flush();
        throw err;
      }
      await reporter.finish('failed', failureHeadline(data, err));
      if (coalesces(data))
        await answerJoinersOrHandBack({
          result: { ok: false, summary: failureHeadline(data, err) },
          outcome: 'failed',
          reason: errorMessage(err),
        });
      ended('failed');
      if (permanent) throw new UnrecoverableError(errorMessage(err));
      throw err;
    } finally {
      await cleanUp();
    }
  };

  const common = {
    connection: opts.connection,
    lockDuration: opts.lockDurationMs ?? 30_000,
    // How often workers look for jobs whose worker died; with the lock duration this bounds the hand-over time.
    stalledInterval: opts.lockDurationMs ?? 30_000,
    maxStalledCount: MAX_STALLED_COUNT,
    autorun: true,
  };
  const changes = new Worker<JobData, JobResult>(names.changes, processor, { ...common, concurrency: 1 });
  const reads = new Worker<JobData, JobResult>(names.reads, processor, {
    ...common,
    concurrency: opts.readConcurrency ?? 4,
  });
  for (const w of [changes, reads]) w.on('error', (err) => opts.log.error({ err }, 'worker error'));
  reportStalledOut([changes, reads], opts.log, async (job) => {
    const log = logFor(job, job.data);
    const reporter = await reporterFor(job, job.data, log);
    const tries = job.data.starts ?? MAX_STALLED_COUNT + 1;
    const headline =
      `Failed: its worker stopped ${tries} times before it could finish (killed, or out of memory), so it is not ` +
      `tried again.\n${nextStep(job.data)}`;
    await reporter.finish('failed', headline);
    // Those who joined this status wait on anchors of their own: they get the same end, not a "joined" for ever.
    if (coalesces(job.data)) {
      const answer: HandedBackAnswer = {
        result: { ok: false, summary: headline },
        outcome: 'failed',
        reason: STALLED_OUT_REASON,
      };
      await answerJoiners(opts, job.data, String(job.id), answer, log, () => false);
    }
    await settleAnchor(opts.redis, opts.prefix, String(job.id)).catch(() => undefined);
    jobEnded(job.data.name, 'failed');
    opts.onJobEnd?.();
  });

  return {
    workers: [changes, reads],
    close: async () => {
      shuttingDown = true;
      for (const c of controllers) c.abort(new ShuttingDown('worker shutting down'));
      await Promise.allSettled([changes.close(), reads.close(), timers.close()]);
    },
  };
}

/**
 * Everyone who joined this status job gets the same answer on their own anchor, and a reply that tells them: a few
 * at once (a burst makes hundreds). An anchor the joined-anchor poster has not posted yet is posted with the answer.
 */
async function answerJoiners(
  opts: WorkerOptions,
  data: JobData,
  jobId: string,
  { result, outcome }: HandedBackAnswer,
  log: Logger,
  stopping: () => boolean,
): Promise<void> {
  const joiners = await closeJoining(opts.redis, opts.prefix, jobId).catch((err: unknown) => {
    log.warn({ err }, 'could not read who joined this status');
    return [];
  });
  const claims = joinerAnchorPrefix(opts.prefix);
  // Slack takes about one post a second per channel: a burst's thousands of joiners take long to answer, and a
  // shutdown must not wait for them. Those not answered yet go back with the job, whose next run answers them.
  const owed: Joiner[] = [];
  await mapLimited(joiners, JOINERS_AT_ONCE, async (j) => {
    if (stopping()) {
      owed.push(j);
      return;
    }
    const key = j.id ? joinerAnchorKey(jobId, j.id) : undefined;
    const reporter = new ProgressReporter({
      client: opts.slack,
      editClient: opts.slackEdits,
      budget: opts.editBudget,
      channel: j.channelId,
      anchorTs: j.anchorTs ?? (key ? await recordedAnchor(opts.redis, claims, key) : undefined),
      anchorClaim: key ? anchorClaim(opts.redis, claims, key, { ttlSeconds: JOINER_CLAIM_SECONDS }) : undefined,
      title: opts.describe(data),
      jobId: jobNumber(jobId),
      userId: j.userId,
      clock: opts.clock,
      log,
      job: { name: data.name, command: data.command },
    });
    await reporter
      .finish(outcome, result.summary, result.details, result.verdict)
      .catch((err: unknown) => log.warn({ err, userId: j.userId }, 'could not answer a joiner'));
  });
  // Answered: nobody posts these anchors again (a late joined-anchor poster finds the job answered), so their
  // claims go now rather than linger, thousands after a burst.
  const left = new Set(owed);
  const answered = joiners.filter((j) => !left.has(j));
  const keys = answered.flatMap((j) => (j.id ? [joinerAnchorKey(jobId, j.id)] : []));
  await forgetAnchors(opts.redis, claims, keys).catch((err: unknown) =>
    log.warn({ err }, 'could not delete the anchor claims of those who joined'),
  );
  if (owed.length) {
    await giveBack(opts.redis, opts.prefix, jobId, owed);
    log.info({ answered: answered.length, owed: owed.length }, 'shutting down: the joiners left go back with the job');
    throw new ShuttingDown('worker shutting down');
  }
}

/** Whether the error, its cause (a step's), or one of a parallel group's failures passes the test. */
function anyIn(err: unknown, test: (e: unknown) => boolean): boolean {
  if (test(err)) return true;
  if (err instanceof PlanFailedError) return err.failures.some((f) => anyIn(f.error, test));
  return err instanceof Error && err.cause !== undefined && anyIn(err.cause, test);
}

const timedOut = (err: unknown) => anyIn(err, (e) => e instanceof WaitTimeoutError);

/**
 * Whether an automatic retry is pointless: a permanent error anywhere in the failure, or a wait that ran out. A
 * timed-out wait is no transient fault: a retry would wait as long again (10 minutes for a NAT gateway, twice)
 * before the user heard of it.
 */
const isPermanent = (err: unknown) =>
  timedOut(err) || anyIn(err, (e) => e instanceof PermanentError || e instanceof UnrecoverableError);

function failureHeadline(data: JobData, err: unknown): string {
  const hint = err instanceof PermanentError && err.hint ? `\n${err.hint}` : '';
  const next =
    (data.name === 'up' || data.name === 'up-plan') && timedOut(err)
      ? 'Not retried automatically: the wait would only run out again. `/mesh status` shows where it stands; run ' +
        '`/mesh up` again: it continues where it stopped, waits for what is still on its way and creates nothing twice.'
      : nextStep(data);
  return `Failed: ${escapeMrkdwn(errorMessage(err))}${hint}\n${next}`;
}

/** What to do after a failed job, by its command. */
function nextStep(data: JobData): string {
  return data.name === 'up' || data.name === 'up-plan'
    ? 'Fix the cause, then run `/mesh up` again: it continues where it stopped and creates nothing twice.'
    : data.name === 'down'
      ? 'Run `/mesh down` again: it deletes only what is left.'
      : `Run \`${data.name === 'down-preview' ? '/mesh down' : `/mesh ${data.name}`}\` again once the cause is fixed.`;
}
