// The environment the bot is started with in the sandbox, the tests and the benchmarks: only endpoints, test
// credentials, the sandbox's stand-in Calico Enterprise license and its Calico Cloud join; the product reads it as
// it would in production.
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BotEnvOptions {
  botToken: string;
  signingSecret: string;
  slackApiUrl: string;
  redisUrl: string;
  port: number;
  admins: string;
  channels: string;
  specPath?: string;
  role?: 'web' | 'worker' | 'all';
  logLevel?: string;
  /** The sandbox's Calico Cloud stand-in, for `calico.variant: cloud`: its URLs and each cluster's token. */
  calicoCloud?: Record<string, string>;
  extra?: Record<string, string>;
}

export function botEnvironment(o: BotEnvOptions): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: o.botToken,
    SLACK_SIGNING_SECRET: o.signingSecret,
    SLACK_API_URL: o.slackApiUrl,
    // The stand-in is not Slack's own API: the bot accepts it only when told so.
    SLACK_API_STAND_IN: 'true',
    REDIS_URL: o.redisUrl,
    PORT: String(o.port),
    MESH_ADMINS: o.admins,
    MESH_CHANNELS: o.channels,
    MESH_SPEC: o.specPath ?? `${ROOT}infra/mesh.yaml`,
    ROLE: o.role ?? 'all',
    LOG_LEVEL: o.logLevel ?? 'info',
    CALICO_LICENSE_FILE: `${ROOT}sandbox/credentials/license.yaml`,
    CALICO_PULL_SECRET_FILE: `${ROOT}sandbox/credentials/pull-secret.json`,
    ...o.calicoCloud,
    ...o.extra,
  };
}
