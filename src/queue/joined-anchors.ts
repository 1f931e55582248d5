// The "joined" anchors of asks that joined an open status (coalesce.ts): posted here, from the list of pending
// joiners in Redis, a batch at a time and a few posts at once, instead of one Slack call per ask on the event
// loop that acks. Under a burst the posts take their time; acks do not wait for them. With ROLE=all the worker
// thread runs this (src/main.ts), so the web role's thread does no Slack work for joiners at all.
//
// Nothing is lost if a post fails or this process stops: each joiner's anchor is claimed (src/queue/anchor.ts),
// and the status job's end answers every joiner on its claimed anchor, posting it then if nobody has.
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { mapLimited } from '../map-limited.ts';
import { section } from '../slack/format.ts';
import { anchorClaim } from './anchor.ts';
import {
  answeredJobs,
  JOINER_CLAIM_SECONDS,
  joinerAnchorKey,
  joinerAnchorPrefix,
  type PendingJoiner,
  pendingKey,
} from './coalesce.ts';
import { jobNumber } from './enqueue.ts';

export interface JoinedAnchors {
  /** Lets the posts under way end (or fail), leaves the rest of the batch to the jobs' ends, then disconnects. */
  stop(): Promise<void>;
}

/** How many joined anchors are taken at once, and how many of them are posted side by side. */
const BATCH = 50;
const CONCURRENCY = 4;

export function startJoinedAnchors(opts: {
  redis: Redis;
  slack: WebClient;
  prefix: string;
  log: Logger;
  concurrency?: number;
}): JoinedAnchors {
  const log = opts.log.child({ part: 'joined-anchors' });
  // BLMPOP blocks its connection: one of its own, which waits out a Redis outage instead of failing.
  const blocking = opts.redis.duplicate({ maxRetriesPerRequest: null });
  blocking.on('error', (err: Error) => log.warn({ err: { message: err.message } }, 'redis connection error'));
  let stopping = false;
  const post = async (j: PendingJoiner) => {
    // Told to stop: the rest of the batch is left unclaimed, and the status job's end posts those anchors.
    if (stopping) return;
    const claim = anchorClaim(opts.redis, joinerAnchorPrefix(opts.prefix), joinerAnchorKey(j.jobId, j.id), {
      ttlSeconds: JOINER_CLAIM_SECONDS,
    });
    // Not mine: the job ended first and its answer already is this joiner's anchor.
    if ((await claim.take()) !== 'mine') return;
    // Answered since the batch was taken: the answer deleted the claim, so taking it proves nothing.
    if ((await answeredJobs(opts.redis, opts.prefix, [j.jobId])).size > 0) return void (await claim.release());
    const number = jobNumber(j.jobId);
    const head = `*${j.title}* · job ${number} · asked by <@${j.userId}>`;
    try {
      const res = await opts.slack.chat.postMessage({
        channel: j.channelId,
        text: `${j.title} · job ${number} · asked by <@${j.userId}> · joined`,
        blocks: [
          section(
            `:hourglass_flowing_sand: ${head}\nJoined the status already ${j.state}; the answer comes here when it ends.`,
          ),
        ],
      });
      const mine = res.ts as string;
      // Another holder (the job's end, after this claim expired) posted meanwhile: one message per asker stays.
      if ((await claim.record(mine)) !== mine)
        await opts.slack.chat.delete({ channel: j.channelId, ts: mine }).catch(() => undefined);
    } catch (err) {
      // The job's end posts this anchor with the answer.
      await claim.release().catch(() => undefined);
      log.warn({ err, jobId: j.jobId, userId: j.userId }, 'could not post the joined anchor; the answer will post it');
    }
  };
  const loop = (async () => {
    while (!stopping) {
      try {
        const got = await blocking.blmpop(1, 1, pendingKey(opts.prefix), 'LEFT', 'COUNT', BATCH);
        if (!got) continue;
        const taken = got[1].map((s) => JSON.parse(s) as PendingJoiner);
        // Behind a burst the job may have ended already: its end posts these anchors with the answer, one call
        // fewer each.
        const answered = await answeredJobs(opts.redis, opts.prefix, [...new Set(taken.map((j) => j.jobId))]);
        const batch = taken.filter((j) => !answered.has(j.jobId));
        await mapLimited(batch, opts.concurrency ?? CONCURRENCY, (j) =>
          post(j).catch((err: unknown) => log.warn({ err, jobId: j.jobId }, 'joined anchor not posted')),
        );
        log.info({ taken: taken.length, posted: batch.length }, 'joined anchors posted');
      } catch (err) {
        if (stopping) break;
        log.warn({ err }, 'could not take the pending joiners; trying again');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      // The pop in hand returns within its 1 s timeout; a Redis that is away would hold it, so not for long.
      await Promise.race([loop, new Promise((r) => setTimeout(r, 3000).unref())]);
      blocking.disconnect();
    },
  };
}
