// Two BullMQ queues per mesh: "changes" (up, down, scale) with a global concurrency of 1, so that one mutating
// job runs at a time across all workers, and "reads" (status, ping, dry runs) that run side by side.
import { type ConnectionOptions, type Job, Queue } from 'bullmq';
import type { JobData, JobResult } from './job-types.ts';
import { isMutatingJob } from './job-types.ts';

export interface MeshQueues {
  changes: Queue<JobData, JobResult>;
  reads: Queue<JobData, JobResult>;
  queueFor(data: JobData): Queue<JobData, JobResult>;
  close(): Promise<void>;
}

export function queueNames(prefix: string, mesh: string): { changes: string; reads: string } {
  return { changes: `${prefix}-${mesh}-changes`, reads: `${prefix}-${mesh}-reads` };
}

export const DEFAULT_JOB_OPTIONS = {
  // Transient failures (throttling the SDK gave up on, a lost connection) retry with backoff; the steps are
  // idempotent, so a retry continues where the last attempt stopped.
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 200 },
  removeOnFail: { age: 30 * 24 * 3600, count: 500 },
} as const;

export async function openQueues(connection: ConnectionOptions, prefix: string, mesh: string): Promise<MeshQueues> {
  const names = queueNames(prefix, mesh);
  const changes = new Queue<JobData, JobResult>(names.changes, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const reads = new Queue<JobData, JobResult>(names.reads, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  await changes.setGlobalConcurrency(1);
  return {
    changes,
    reads,
    queueFor: (data) => (isMutatingJob(data) ? changes : reads),
    close: async () => {
      await Promise.allSettled([changes.close(), reads.close()]);
    },
  };
}

/** What a queued job waits for: its place in line and the running job ahead of it, if any. */
export interface QueuePosition {
  /** 1 = next to run. */
  position: number;
  blockedBy?: { id: string; name: string; userId: string; describe: string };
}

export async function positionOf(
  queue: Queue<JobData, JobResult>,
  job: Job<JobData, JobResult>,
  describe: (d: JobData) => string,
): Promise<QueuePosition> {
  const [waiting, active] = await Promise.all([queue.getWaiting(0, 200), queue.getActive(0, 20)]);
  // getWaiting lists newest first.
  const ordered = waiting.filter(Boolean).sort((a, b) => a.timestamp - b.timestamp);
  const index = ordered.findIndex((j) => j.id === job.id);
  const blocker = active.find((j) => j && j.id !== job.id);
  return {
    position: index < 0 ? 1 : index + 1,
    blockedBy: blocker
      ? {
          id: String(blocker.id),
          name: blocker.data.name,
          userId: blocker.data.userId,
          describe: describe(blocker.data),
        }
      : undefined,
  };
}
