// Turning an accepted command into a queued job with its anchor message: the user sees the job's number, who
// asked, its place in line, and what it waits for.
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MeshCommand } from '../mesh-command.ts';
import { adviceFor, ChannelClosedError, closedChannelReason, slackErrorCode } from '../slack/channels.ts';
import { type EditBudget, editWithin, processEditBudget } from '../slack/edit-budget.ts';
import { section } from '../slack/format.ts';
import { jobButtons } from '../slack/job-buttons.ts';
import { anchorClaim } from './anchor.ts';
import { coalesces, forgetOpen, joinOpen, markOpen, markQueued } from './coalesce.ts';
import type { JobData, JobName } from './job-types.ts';
import { type MeshQueues, positionOf } from './queues.ts';

export interface EnqueueDeps {
  queues: MeshQueues;
  redis: Redis;
  slack: WebClient;
  prefix: string;
  mesh: string;
  log: Logger;
  describe(data: JobData): string;
  /** The app's budget for chat.update (src/slack/shared-edit-budget.ts), shared with the workers' edits. */
  editBudget?: EditBudget;
}

/**
 * How long the place-in-line edit may wait for the edit budget (in the background): past that the anchor keeps
 * saying "Queued.", and the job's own progress tells the rest.
 */
const POSITION_EDIT_WAIT_MS = 10_000;

export interface Enqueued {
  jobId: string;
  anchorTs?: string;
  position: number;
  waitingFor?: string;
  /** Joined an open status: its "joined" anchor follows (joined-anchors.ts), and the answer in its thread. */
  joined?: boolean;
}

/**
 * Job numbers are small and increasing, so people can say `/mesh cancel 12`. BullMQ refuses integer-like
 * custom IDs, so the queue knows job 12 as "job-12".
 */
async function nextJobId(redis: Redis, prefix: string): Promise<string> {
  return jobIdOf(String(await redis.incr(`${prefix}:job-seq`)));
}

export function jobIdOf(number: string): string {
  return number.startsWith('job-') ? number : `job-${number}`;
}

/** "job-12" -> "12": how people see and type it. */
export function jobNumber(jobId: string | undefined): string {
  return String(jobId ?? '?').replace(/^job-/, '');
}

export async function enqueueCommand(
  deps: EnqueueDeps,
  req: { name: JobName; command: MeshCommand; userId: string; channelId: string },
): Promise<Enqueued> {
  const data: JobData = {
    name: req.name,
    command: req.command,
    mesh: deps.mesh,
    userId: req.userId,
    channelId: req.channelId,
    requestedAt: Date.now(),
  };
  if (coalesces(data)) {
    const joined = await joinOpenStatus(deps, data);
    if (joined) return joined;
  }
  // Numbered only once it is a job of its own: a status that joined another takes no number.
  const jobId = await nextJobId(deps.redis, deps.prefix);
  // Marked open before it is queued: of many asks that found none open at once, one queues and the rest join.
  if (coalesces(data) && !(await markOpen(deps.redis, deps.prefix, jobId))) {
    const joined = await joinOpenStatus(deps, data);
    if (joined) return joined;
  }
  const title = deps.describe(data);
  const number = jobNumber(jobId);
  // Queued first: a slow or failing Slack must not hold the command. The anchor follows; if it cannot be posted
  // now, the worker posts it when the job starts.
  const queue = deps.queues.queueFor(data);
  // Claimed before the job exists, so a worker that starts it at once waits for this anchor: one message per job.
  const claim = anchorClaim(deps.redis, deps.prefix, jobId);
  await claim.take();
  // The one-change-at-a-time rule lives in Redis: asserted again with every change, so a flushed or replaced
  // Redis cannot let two changes of one mesh run side by side.
  if (queue === deps.queues.changes) await queue.setGlobalConcurrency(1);
  const job = await queue.add(req.name, data, { jobId }).catch(async (err: unknown) => {
    if (coalesces(data)) await forgetOpen(deps.redis, deps.prefix, jobId).catch(() => undefined);
    throw err;
  });
  if (coalesces(data)) await markQueued(deps.redis, deps.prefix, jobId);
  try {
    const res = await deps.slack.chat.postMessage({
      channel: req.channelId,
      text: `:hourglass_flowing_sand: ${title} · job ${number} · asked by <@${req.userId}> · queued`,
      blocks: [
        section(`:hourglass_flowing_sand: *${title}* · job ${number} · asked by <@${req.userId}>\nQueued.`),
        jobButtons('queued', number)!,
      ],
    });
    const mine = res.ts as string;
    data.anchorTs = await claim.record(mine);
    // Only when this claim had expired (Slack took longer than the hold) and a worker posted meanwhile.
    if (data.anchorTs !== mine)
      await deps.slack.chat.delete({ channel: req.channelId, ts: mine }).catch(() => undefined);
    else if (['waiting', 'prioritized', 'delayed'].includes(await job.getState())) await job.updateData(data);
  } catch (err) {
    // The worker may post the anchor now.
    await claim.release().catch(() => undefined);
    const reason = closedChannelReason(slackErrorCode(err));
    if (reason) {
      // The bot cannot post here after all (removed since the check): the job would run unseen.
      await job.remove().catch(() => undefined);
      throw new ChannelClosedError(adviceFor(reason, req.channelId));
    }
    deps.log.warn({ err, jobId }, 'could not post the anchor message; the worker will post it');
  }
  // Read-only jobs run side by side: there is no line to tell anyone about, and not asking keeps the web
  // role's work per command constant however many are queued.
  if (queue !== deps.queues.changes) return { jobId, anchorTs: data.anchorTs, position: 1 };
  const pos = await positionOf(queue, job, deps.describe);
  const waitingFor = pos.blockedBy
    ? `job ${jobNumber(pos.blockedBy.id)} (\`${pos.blockedBy.describe}\`, started by <@${pos.blockedBy.userId}>)`
    : undefined;
  if (data.anchorTs && (pos.position > 1 || waitingFor)) {
    const anchorTs = data.anchorTs;
    const line = `Queued: position ${pos.position}${waitingFor ? `, waiting for ${waitingFor} to finish` : ''}. Changes to the mesh run one at a time.`;
    const stillQueued = async () => ['waiting', 'prioritized', 'delayed'].includes(await job.getState());
    const showPosition = async () => {
      await deps.slack.chat.update({
        channel: req.channelId,
        ts: anchorTs,
        text: `${title} · job ${number} · ${line}`,
        blocks: [
          section(`:hourglass_flowing_sand: *${title}* · job ${number} · asked by <@${req.userId}>\n${line}`),
          jobButtons('queued', number)!,
        ],
      });
    };
    const failed = (err: unknown) =>
      deps.log.warn({ err, jobId }, 'could not update the anchor with the queue position');
    // Within the edit budget the workers' progress edits take from (Slack counts chat.update per app). Mostly an
    // edit is there to take at once; otherwise it waits in the background, not holding the command's answer.
    const budget = deps.editBudget ?? processEditBudget;
    const later = () =>
      editWithin(budget, POSITION_EDIT_WAIT_MS).then(async (taken) => {
        if (!taken) deps.log.info({ jobId }, 'edit budget spent: the anchor says "Queued." without its place');
        else if (await stillQueued()) await showPosition();
      });
    try {
      if (await stillQueued()) {
        if ((await budget.take(Date.now())) === 0) await showPosition();
        else void later().catch(failed);
      }
    } catch (err) {
      failed(err);
    }
  }
  return { jobId, anchorTs: data.anchorTs, position: pos.position, waitingFor };
}

/**
 * A status asked while one is queued or running joins it: one round trip, and nothing else here. Its anchor ("joined
 * the status already running") is posted by the joined-anchor poster; the job's end answers it in its thread.
 */
async function joinOpenStatus(deps: EnqueueDeps, data: JobData): Promise<Enqueued | undefined> {
  const joined = await joinOpen(deps.redis, deps.prefix, deps.queues.reads, {
    userId: data.userId,
    channelId: data.channelId,
    title: deps.describe(data),
  });
  return joined ? { jobId: joined.jobId, position: 1, joined: true } : undefined;
}
