// Turning an accepted command into a queued job with its anchor message: the user sees the job's number, who
// asked, its place in line, and what it waits for.
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MeshCommand } from '../mesh-command.ts';
import { section } from '../slack/format.ts';
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
}

export interface Enqueued {
  jobId: string;
  anchorTs?: string;
  position: number;
  waitingFor?: string;
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
  const jobId = await nextJobId(deps.redis, deps.prefix);
  const data: JobData = {
    name: req.name,
    command: req.command,
    mesh: deps.mesh,
    userId: req.userId,
    channelId: req.channelId,
    requestedAt: Date.now(),
  };
  const title = deps.describe(data);
  const number = jobNumber(jobId);
  // The anchor comes first so that the worker finds it in the job data; if Slack is down the worker posts it.
  try {
    const res = await deps.slack.chat.postMessage({
      channel: req.channelId,
      text: `:hourglass_flowing_sand: ${title} · job ${number} · asked by <@${req.userId}> · queued`,
      blocks: [section(`:hourglass_flowing_sand: *${title}* · job ${number} · asked by <@${req.userId}>\nQueued.`)],
    });
    data.anchorTs = res.ts as string;
  } catch (err) {
    deps.log.warn({ err, jobId }, 'could not post the anchor message; the worker will post it');
  }
  const queue = deps.queues.queueFor(data);
  const job = await queue.add(req.name, data, { jobId });
  // Read-only jobs run side by side: there is no line to tell anyone about, and not asking keeps the web
  // role's work per command constant however many are queued.
  if (queue !== deps.queues.changes) return { jobId, anchorTs: data.anchorTs, position: 1 };
  const pos = await positionOf(queue, job, deps.describe);
  const waitingFor = pos.blockedBy
    ? `job ${jobNumber(pos.blockedBy.id)} (\`${pos.blockedBy.describe}\`, started by <@${pos.blockedBy.userId}>)`
    : undefined;
  if (data.anchorTs && (pos.position > 1 || waitingFor)) {
    const line = `Queued: position ${pos.position}${waitingFor ? `, waiting for ${waitingFor} to finish` : ''}. Changes to the mesh run one at a time.`;
    try {
      const state = await job.getState();
      if (state === 'waiting' || state === 'prioritized' || state === 'delayed') {
        await deps.slack.chat.update({
          channel: req.channelId,
          ts: data.anchorTs,
          text: `${title} · job ${number} · ${line}`,
          blocks: [section(`:hourglass_flowing_sand: *${title}* · job ${number} · asked by <@${req.userId}>\n${line}`)],
        });
      }
    } catch (err) {
      deps.log.warn({ err, jobId }, 'could not update the anchor with the queue position');
    }
  }
  return { jobId, anchorTs: data.anchorTs, position: pos.position, waitingFor };
}
