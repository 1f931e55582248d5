// The App Home: the mesh at a glance (the last status), the jobs queued and running with their Cancel buttons,
// the last jobs and how they ended, who the admins are and where /mesh runs. Published when someone opens the
// tab, and again for everyone who opened it when a job ends.
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobData, JobResult } from '../queue/job-types.ts';
import type { MeshQueues } from '../queue/queues.ts';
import { watchSummary } from '../watch/home-lines.ts';
import { context, section } from './format.ts';
import { JOB_CANCEL_ACTION } from './job-buttons.ts';

export interface HomeDeps {
  client: WebClient;
  queues: MeshQueues;
  redis: Redis;
  prefix: string;
  mesh: string;
  admins: readonly string[];
  channels: readonly string[];
  describe(data: JobData): string;
  log: Logger;
}

const viewersKey = (prefix: string) => `${prefix}:home-viewers`;
const number = (id: string | undefined) => String(id ?? '?').replace(/^job-/, '');
const when = (ms: number | undefined) => (ms ? new Date(ms).toISOString().slice(5, 16).replace('T', ' ') : '?');

interface JobLike {
  id?: string;
  data: JobData;
  returnvalue?: JobResult | null;
  failedReason?: string;
  finishedOn?: number;
  timestamp: number;
}

export async function homeBlocks(deps: HomeDeps, viewer: string, notice?: string): Promise<KnownBlock[]> {
  const both = async (states: Array<'active' | 'waiting' | 'delayed' | 'prioritized' | 'completed' | 'failed'>) =>
    [
      ...(await deps.queues.changes.getJobs(states, 0, 20)),
      ...(await deps.queues.reads.getJobs(states, 0, 20)),
    ] as unknown as JobLike[];
  const [open, done] = await Promise.all([
    both(['active', 'waiting', 'delayed', 'prioritized']),
    both(['completed', 'failed']),
  ]);
  done.sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0));
  open.sort((a, b) => a.timestamp - b.timestamp);
  const lastStatus = done.find((j) => j.data.name === 'status' && j.returnvalue);
  const isAdmin = deps.admins.includes(viewer);
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: `Mesh ${deps.mesh}` } }];
  if (notice) blocks.push(section(notice));
  blocks.push(
    section(
      lastStatus
        ? `*At a glance* (status of ${when(lastStatus.finishedOn)} UTC):\n${lastStatus.returnvalue!.summary}`
        : '*At a glance*: no status yet; run `/mesh status` in a mesh channel.',
    ),
    { type: 'divider' },
    section(open.length ? `*Queued and running* (${open.length})` : '*Queued and running*: nothing.'),
  );
  for (const j of open.slice(0, 15)) {
    const mayCancel = isAdmin || j.data.userId === viewer;
    blocks.push({
      ...section(`job ${number(j.id)} · *${deps.describe(j.data)}* · asked by <@${j.data.userId}>`),
      ...(mayCancel
        ? {
            accessory: {
              type: 'button',
              action_id: JOB_CANCEL_ACTION,
              text: { type: 'plain_text', text: `Cancel job ${number(j.id)}` },
              value: number(j.id),
            },
          }
        : {}),
    } as KnownBlock);
  }
  const recent = done.slice(0, 8).map((j) => {
    const failed = !j.returnvalue || j.returnvalue.ok === false;
    const icon = failed ? ':x:' : ':white_check_mark:';
    const line = failed
      ? (j.failedReason ?? j.returnvalue?.summary ?? 'failed').split('\n')[0]
      : (j.returnvalue?.summary ?? '').split('\n')[0];
    return `${icon} job ${number(j.id)} · *${deps.describe(j.data)}* · ${when(j.finishedOn)} · ${line!.slice(0, 140)}`;
  });
  blocks.push(
    { type: 'divider' },
    section(recent.length ? `*Last jobs*\n${recent.join('\n')}` : '*Last jobs*: none yet.'),
    { type: 'divider' },
    section(await watchSummary(deps.redis, deps.prefix, deps.mesh, Date.now())),
  );
  blocks.push(
    { type: 'divider' },
    section(`*Admins*: ${deps.admins.map((a) => `<@${a}>`).join(', ') || 'none'}${isAdmin ? ' (you are one)' : ''}`),
    section(
      `*Where /mesh runs*: ${deps.channels.map((c) => `<#${c}>`).join(', ') || 'nowhere (MESH_CHANNELS is empty)'}`,
    ),
    context('Refreshed when you open this tab and whenever a job ends.'),
  );
  return blocks;
}

/** Publishes the Home tab for one user and remembers them, so that the end of a job refreshes it. */
export async function publishHome(deps: HomeDeps, user: string, notice?: string): Promise<void> {
  await deps.redis.zadd(viewersKey(deps.prefix), Date.now(), user);
  await deps.client.views.publish({
    user_id: user,
    view: { type: 'home', blocks: await homeBlocks(deps, user, notice) },
  });
}

/** After a job ends: the Home of everyone who opened it in the last week. */
export async function refreshHomes(deps: HomeDeps): Promise<void> {
  const since = Date.now() - 7 * 24 * 3600 * 1000;
  const users = await deps.redis.zrangebyscore(viewersKey(deps.prefix), since, '+inf');
  for (const user of users.slice(0, 50)) {
    await publishHome(deps, user).catch((err: unknown) =>
      deps.log.warn({ err, user }, 'could not refresh an App Home'),
    );
  }
}
