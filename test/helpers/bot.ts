// Starts meshops the way `npm start` does (configuration from environment variables), pointed at test services.
import { randomUUID } from 'node:crypto';
import { type Logger, pino } from 'pino';
import { botEnvironment } from '../../sandbox/bot-env.ts';
import { type Meshops, type StartOverrides, startMeshops } from '../../src/compose-root.ts';
import { type AppConfig, loadConfig } from '../../src/config/env.ts';
import { freePort } from './redis.ts';

export const ADMIN = 'U0ADMIN01';
/** A second admin, for tests that must tell who started a job from who asks (give it with adminsEnv). */
export const ADMIN2 = 'U0ADMIN02';
export const OPERATOR = 'U0OPERATOR';
export const CHANNEL = 'C0MESHOPS1';
export const OTHER_CHANNEL = 'C0RANDOM01';
export const SIGNING_SECRET = 'test-signing-secret-8f14e45fceea167a';
export const BOT_TOKEN = 'xoxb-test-meshops-bot';

export function botEnv(opts: {
  redisUrl: string;
  slackApiUrl: string;
  port: number;
  role?: 'web' | 'worker' | 'all';
  extra?: Record<string, string>;
}): NodeJS.ProcessEnv {
  return botEnvironment({
    ...opts,
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    admins: ADMIN,
    channels: CHANNEL,
    logLevel: 'silent',
  });
}

export interface TestBot {
  meshops: Meshops;
  config: AppConfig;
  eventsUrl: string;
  prefix: string;
}

export async function startTestBot(opts: {
  redisUrl: string;
  slackApiUrl: string;
  role?: 'web' | 'worker' | 'all';
  prefix?: string;
  overrides?: StartOverrides;
  log?: Logger;
  extraEnv?: Record<string, string>;
}): Promise<TestBot> {
  const port = await freePort();
  const config = loadConfig(
    botEnv({ redisUrl: opts.redisUrl, slackApiUrl: opts.slackApiUrl, port, role: opts.role, extra: opts.extraEnv }),
  );
  const prefix = opts.prefix ?? `test-${randomUUID().slice(0, 8)}`;
  const meshops = await startMeshops(config, { log: opts.log ?? pino({ level: 'silent' }), prefix, ...opts.overrides });
  return { meshops, config, eventsUrl: `http://127.0.0.1:${port}/slack/events`, prefix };
}
