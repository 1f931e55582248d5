// A wait that runs out: the real `/mesh up` job, through the web role, the queue and the worker, against the
// sandbox cloud with NAT gateways that stay pending (the 'fast' profile with a slow NAT) and a clock that runs as
// fast as the job waits (src/clock.ts). The user must see which wait timed out, after how long, what it saw last,
// and what to do next, after the one attempt: a timed-out wait is not retried (it would wait as long again).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeProfile } from '../../sandbox/aws/profiles.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import type { ClusterHost } from '../../sandbox/contracts.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { makeAwsClients } from '../../src/aws/clients.ts';
import type { Clock } from '../../src/clock.ts';
import { ADMIN, CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

/** The AWS side alone: the job fails in the network step, long before any Kubernetes API is needed. */
const noKubernetes: ClusterHost = {
  startCluster: async () => ({ endpoint: 'https://127.0.0.1:9', caPem: '' }),
  stopCluster: async () => {},
  setNodeGroup: () => {},
  deleteNodeGroup: () => {},
};

/** Time that moves on by each sleep at once (after a real tick), so a 10-minute wait takes a moment. */
function fastForwardClock(): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        offset += ms;
        setTimeout(resolve, 5);
      }),
  };
}

let redis: TestRedis;
let slack: SlackStandIn;
let cloud: Cloud;
let bot: TestBot;
/** Every text each top-level message had, oldest first: the anchor's states as the user saw them. */
const anchorHistory = new Map<string, string[]>();

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
  slack.onChange((c) => {
    if ((c.kind !== 'message' && c.kind !== 'edit') || c.message.threadTs) return;
    anchorHistory.set(c.message.ts, [...(anchorHistory.get(c.message.ts) ?? []), c.message.text]);
  });
  // The fast profile, except that NAT gateways stay pending for 30 minutes of real time: longer than this test,
  // far longer than the job's 10-minute wait.
  const profile = { ...timeProfile('fast'), name: 'fast-with-slow-nat', natCreateMs: 30 * 60_000 };
  cloud = await startCloud({ profile, clusterHost: noKubernetes });
  const aws = makeAwsClients({
    endpoint: cloud.awsEndpoint,
    credentials: { accessKeyId: cloud.awsEnv.AWS_ACCESS_KEY_ID!, secretAccessKey: cloud.awsEnv.AWS_SECRET_ACCESS_KEY! },
  });
  bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'all',
    overrides: { clock: fastForwardClock(), deps: { aws } },
  });
}, 120_000);

afterAll(async () => {
  await bot?.meshops.stop();
  await cloud?.stop();
  await slack?.close();
  await redis?.stop();
});

describe('a NAT gateway that stays pending past the wait', () => {
  it('fails up naming the NAT gateway, the time waited and the state it saw last, and says what to do', async () => {
    const res = await slack.slashCommand({
      text: `up --confirm ${bot.config.spec.name}`,
      userId: ADMIN,
      channelId: CHANNEL,
      to: { http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } },
    });
    expect(res.status).toBe(200);
    const anchor = await slack.waitFor((m) => !m.threadTs && /\/mesh up\* · job \d+/.test(m.text ?? ''), 10_000);
    // One attempt, then the final state: the automatic retries (10 s and 20 s apart) would have come first.
    const final = await slack.waitFor(
      (m) => m.ts === anchor.ts && /^:(white_check_mark|x):/.test(m.text ?? ''),
      60_000,
    );
    expect(final.text).toMatch(/^:x:/);
    expect(final.text).toMatch(
      /timed out after 600 s waiting for NAT gateway nat-\w+ \(us-[a-z]+-\d[a-z]\); last seen: pending/,
    );
    expect(final.text).toMatch(/Not retried automatically: the wait would only run out again/);
    expect(final.text).toMatch(/run `\/mesh up` again: it continues where it stopped/);
    // Everything the user saw of this job: no retry was announced, none started (it would say it resumes).
    const seen = [...(anchorHistory.get(anchor.ts) ?? []), ...slack.thread(CHANNEL, anchor.ts).map((m) => m.text)];
    expect(seen.join('\n')).not.toMatch(/trying again automatically/);
    expect(seen.join('\n')).not.toMatch(/Resuming/);
  }, 90_000);
});
