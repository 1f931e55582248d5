// The Slack stand-in of the ack benchmark, on a thread of its own (bench/ack-latency.ts starts it): the bot's
// thousands of Slack calls must not run on the event loop that times the acks, or the bot's figures would carry
// the stand-in's work (the bare app makes no Slack calls at all). With Slack's rate limits (chat.postMessage about
// one a second per channel), as Slack answers; workerData.rateLimits false takes them off (BENCH_SLACK_LIMITS=off).
import { parentPort, workerData } from 'node:worker_threads';
import { startSlackStandIn } from '../sandbox/slack/web-api.ts';

const rateLimits = (workerData as { rateLimits?: boolean } | undefined)?.rateLimits !== false;
const slack = await startSlackStandIn({ rateLimits, botToken: 'xoxb-bench' });
parentPort!.on('message', (msg: string) => {
  if (msg === 'close') void slack.close().then(() => process.exit(0));
});
parentPort!.postMessage({ apiUrl: slack.apiUrl });
