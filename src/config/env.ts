// Configuration from the environment, validated once at start. Errors name the variable, what is wrong and
// what is allowed, and never echo a secret's value. The config object itself serialises redacted.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { eksClusterName } from '../aws/tags.ts';
import type { CalicoCredentials } from '../deps.ts';
import { PermanentError } from '../errors.ts';
import { cloudTokenVariable } from './cloud-tokens.ts';
import { loadSpec, SpecError } from './spec.ts';
import type { MeshSpec } from './spec-types.ts';

export const ROLES = ['web', 'worker', 'all'] as const;
export type Role = (typeof ROLES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface SlackConfig {
  /** Bot token (xoxb-...): the Web API calls. */
  botToken: string;
  /** Verifies signed requests in HTTP mode; absent in Socket Mode. */
  signingSecret?: string;
  /** App-level token (xapp-...): present means Socket Mode. */
  appToken?: string;
  /** Web API base URL (a stand-in in tests); absent means Slack's own. */
  apiUrl?: string;
  /** Each Web API call gives up after this long (and is tried at most three times). */
  timeoutSeconds: number;
  mode: 'socket' | 'http';
}

export interface AppConfig {
  role: Role;
  slack: SlackConfig;
  redisUrl: string;
  port: number;
  /** Slack user IDs (U.../W...) allowed to run up, down, scale, cancel. */
  admins: string[];
  /** Channel IDs (C.../G...) where /mesh runs. */
  channels: string[];
  specPath: string;
  spec: MeshSpec;
  logLevel: LogLevel;
  pollIntervalSeconds: number;
  /** How often waits poll the clusters' API servers (default 2). */
  kubePollIntervalSeconds: number;
  workerConcurrency: number;
  /** How long a worker's hold on a job lasts unrenewed: a dead worker's job moves on after about this. */
  workerLockSeconds: number;
  /** How long the Apply button of a `/mesh up` plan stays valid (default 300). */
  confirmSeconds: number;
  /** How often the health watch runs when nobody set it with `/mesh watch every` (default 300). */
  watchIntervalSeconds: number;
  /** An attempt at an AWS call that has taken this long is given up and retried (default 30). */
  awsCallTimeoutSeconds: number;
  calico: CalicoCredentials;
  /** The same configuration with every secret replaced: safe to log. JSON.stringify and inspect use it too. */
  redacted(): Record<string, unknown>;
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigError extends PermanentError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`configuration has ${count}:\n${problems.map((p) => `- ${p.variable}: ${p.message}`).join('\n')}`, {
      code: 'InvalidConfig',
      hint: 'set the variables named above and start again',
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** Use this spec instead of reading MESH_SPEC (tests, or a caller that already loaded it). */
  spec?: MeshSpec;
  /** Base for relative paths (MESH_SPEC, credential files); default process.cwd(). */
  cwd?: string;
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

/** Variables and the message when their value is wrong. Values are never part of a message for secrets. */
const httpUrl = z.url({ protocol: /^https?$/ });
/** Slack's Web API, commercial and GovSlack. */
const SLACK_OWN_API = /^https:\/\/(?:slack|slack-gov)\.com\/api\/?$/;
const redisUrl = z.url({ protocol: /^rediss?$/ });
const port = z.coerce.number().int().min(0).max(65535);
const positiveSeconds = z.coerce.number().positive().max(3600);
const concurrency = z.coerce.number().int().min(1).max(64);

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): AppConfig {
  const problems: ConfigProblem[] = [];
  const bad = (variable: string, message: string) => problems.push({ variable, message });
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const cwd = options.cwd ?? process.cwd();

  // Role first: it decides which variables are required.
  let role: Role = 'all';
  const roleText = get('ROLE');
  if (roleText !== undefined) {
    if ((ROLES as readonly string[]).includes(roleText)) role = roleText as Role;
    else bad('ROLE', `"${roleText}" is not a role; allowed: ${ROLES.join(', ')} (default all)`);
  }
  const servesSlack = role !== 'worker';
  const runsJobs = role !== 'web';

  // Slack. Tokens are secrets: messages describe them, never quote them.
  const botToken = get('SLACK_BOT_TOKEN');
  if (botToken === undefined)
    bad('SLACK_BOT_TOKEN', "required: the bot token (xoxb-...) from the Slack app's OAuth & Permissions page");
  else if (botToken.startsWith('xoxp-'))
    bad('SLACK_BOT_TOKEN', 'is a user token (xoxp-); use the bot token (xoxb-...)');
  else if (botToken.startsWith('xapp-'))
    bad(
      'SLACK_BOT_TOKEN',
      'is an app-level token (xapp-), which belongs in SLACK_APP_TOKEN; use the bot token (xoxb-...)',
    );
  else if (!/^xoxb-[\w-]+$/.test(botToken)) bad('SLACK_BOT_TOKEN', 'does not look like a bot token; expected xoxb-...');

  const appToken = get('SLACK_APP_TOKEN');
  if (appToken !== undefined && !/^xapp-[\w-]+$/.test(appToken)) {
    bad(
      'SLACK_APP_TOKEN',
      'does not look like an app-level token; expected xapp-... (with connections:write), or leave it unset for HTTP mode',
    );
  }
  const mode: SlackConfig['mode'] = appToken ? 'socket' : 'http';
  const signingSecret = get('SLACK_SIGNING_SECRET');
  if (signingSecret === undefined && servesSlack && mode === 'http') {
    bad(
      'SLACK_SIGNING_SECRET',
      "required in HTTP mode (no SLACK_APP_TOKEN): the signing secret from the Slack app's Basic Information page; or set SLACK_APP_TOKEN for Socket Mode",
    );
  }
  const apiUrl = get('SLACK_API_URL');
  const standIn = get('SLACK_API_STAND_IN');
  if (standIn !== undefined && standIn !== 'true' && standIn !== 'false') {
    bad(
      'SLACK_API_STAND_IN',
      `"${standIn}" is not true or false; set it to true only when SLACK_API_URL is a Slack stand-in`,
    );
  }
  if (apiUrl !== undefined && !httpUrl.safeParse(apiUrl).success) {
    bad('SLACK_API_URL', `"${apiUrl}" is not an http(s) URL; expected like https://slack.com/api/, or leave it unset`);
  } else if (apiUrl !== undefined && !SLACK_OWN_API.test(apiUrl) && standIn !== 'true') {
    // The bot token goes with every call: a stray URL would hand it to whoever serves it.
    bad(
      'SLACK_API_URL',
      `"${apiUrl}" is not Slack's own API (https://slack.com/api/); leave it unset, or for a Slack stand-in (tests, the sandbox) also set SLACK_API_STAND_IN=true`,
    );
  }

  let slackTimeout = 10;
  const slackTimeoutText = get('SLACK_TIMEOUT_SECONDS');
  if (slackTimeoutText !== undefined) {
    const parsed = positiveSeconds.safeParse(slackTimeoutText);
    if (parsed.success && parsed.data <= 120) slackTimeout = parsed.data;
    else
      bad(
        'SLACK_TIMEOUT_SECONDS',
        `"${slackTimeoutText}" is not allowed; expected seconds above 0 and at most 120 (default 10)`,
      );
  }

  // Redis may carry a password in its URL: do not quote it.
  const redis = get('REDIS_URL') ?? 'redis://127.0.0.1:6379';
  if (!redisUrl.safeParse(redis).success)
    bad('REDIS_URL', 'is not a Redis URL; expected redis://host:port or rediss://... (default redis://127.0.0.1:6379)');

  const number = <T>(name: string, schema: z.ZodType<T>, fallback: T, allowed: string): T => {
    const text = get(name);
    if (text === undefined) return fallback;
    const r = schema.safeParse(text);
    if (r.success) return r.data;
    bad(name, `"${text}" is not allowed; expected ${allowed}`);
    return fallback;
  };
  const portNumber = number('PORT', port, 3000, 'a port number from 0 to 65535 (default 3000)');
  const pollIntervalSeconds = number(
    'POLL_INTERVAL_SECONDS',
    positiveSeconds,
    30,
    'seconds above 0, at most 3600 (default 30)',
  );
  const kubePollIntervalSeconds = number(
    'KUBE_POLL_INTERVAL_SECONDS',
    positiveSeconds,
    2,
    'seconds above 0, at most 3600 (default 2)',
  );
  const workerConcurrency = number('WORKER_CONCURRENCY', concurrency, 4, 'a whole number from 1 to 64 (default 4)');
  const workerLockSeconds = number(
    'WORKER_LOCK_SECONDS',
    positiveSeconds,
    30,
    'seconds above 0, at most 3600 (default 30)',
  );
  // The SDK waits for ever by default: a connection that stalls would hold a change job, and so the mesh's lock.
  const awsCallTimeoutSeconds = number(
    'AWS_CALL_TIMEOUT_SECONDS',
    z.coerce.number().positive().max(300),
    30,
    'seconds above 0, at most 300 (default 30)',
  );
  // Not bounded by /mesh watch's one-minute floor: the operator's own setting (short in tests and demos).
  const watchIntervalSeconds = number(
    'WATCH_INTERVAL_SECONDS',
    z.coerce.number().positive().max(86400),
    300,
    'seconds above 0, at most 86400 (default 300)',
  );

  const confirmSeconds = number('CONFIRM_SECONDS', positiveSeconds, 300, 'seconds above 0, at most 3600 (default 300)');

  let logLevel: LogLevel = 'info';
  const levelText = get('LOG_LEVEL');
  if (levelText !== undefined) {
    if ((LOG_LEVELS as readonly string[]).includes(levelText.toLowerCase()))
      logLevel = levelText.toLowerCase() as LogLevel;
    else bad('LOG_LEVEL', `"${levelText}" is not a level; allowed: ${LOG_LEVELS.join(', ')} (default info)`);
  }

  // Who and where. IDs, not names: display names change and can be copied.
  const list = (name: string) =>
    (get(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const admins = list('MESH_ADMINS');
  for (const a of admins) {
    if (USER_ID.test(a)) continue;
    if (USER_ID.test(a.toUpperCase()) && /\d/.test(a) && !a.startsWith('@')) {
      bad(
        'MESH_ADMINS',
        `"${a}" is not a member ID as Slack writes it; member IDs are upper case, like ${a.toUpperCase()}`,
      );
    } else if (a.startsWith('@') || /[a-z]/.test(a)) {
      bad(
        'MESH_ADMINS',
        `"${a}" looks like a display name; use member IDs like U012ABCDEF (Slack: profile, ⋮, Copy member ID), comma-separated`,
      );
    } else bad('MESH_ADMINS', `"${a}" is not a Slack member ID; expected U... or W..., comma-separated`);
  }
  if (admins.length === 0 && servesSlack) {
    bad(
      'MESH_ADMINS',
      'required: the member IDs (U...) of who may run up, down, scale and cancel, comma-separated; without any, nobody could change the mesh',
    );
  }
  const channels = list('MESH_CHANNELS');
  for (const c of channels) {
    if (CHANNEL_ID.test(c)) continue;
    if (CHANNEL_ID.test(c.toUpperCase()) && /\d/.test(c) && !c.startsWith('#')) {
      bad(
        'MESH_CHANNELS',
        `"${c}" is not a channel ID as Slack writes it; channel IDs are upper case, like ${c.toUpperCase()}`,
      );
    } else if (c.startsWith('#') || /[a-z]/.test(c)) {
      bad(
        'MESH_CHANNELS',
        `"${c}" looks like a channel name; use channel IDs like C012ABCDEF (Slack: channel details, bottom of About), comma-separated`,
      );
    } else
      bad('MESH_CHANNELS', `"${c}" is not a channel ID; expected C... (public) or G... (private), comma-separated`);
  }
  if (channels.length === 0 && servesSlack) {
    bad(
      'MESH_CHANNELS',
      'required: the channel IDs (C.../G...) where /mesh may run, comma-separated; there is no "every channel" default, so that the mesh is driven only where the team can see it',
    );
  }

  // The spec: its Calico variant decides which credentials are required.
  const specPath = resolve(cwd, get('MESH_SPEC') ?? 'infra/mesh.yaml');
  let spec = options.spec;
  if (!spec) {
    try {
      spec = loadSpec(specPath);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      bad('MESH_SPEC', err.message);
    }
  }

  const calico: CalicoCredentials = {};
  const readFile = (name: string, what: string, check: (text: string) => string | undefined): string | undefined => {
    const p = get(name);
    if (p === undefined) return undefined;
    const full = resolve(cwd, p);
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (err) {
      bad(
        name,
        `cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? 'error'}); expected the path of ${what}`,
      );
      return undefined;
    }
    const wrong = check(text);
    if (wrong) {
      bad(name, `${full} ${wrong}; expected ${what}`);
      return undefined;
    }
    return text;
  };
  const license = readFile('CALICO_LICENSE_FILE', 'the LicenseKey YAML that Tigera issued', (text) => {
    try {
      const doc = parseYaml(text) as { kind?: unknown } | null;
      return doc?.kind === 'LicenseKey' ? undefined : 'is not a LicenseKey manifest (kind: LicenseKey)';
    } catch {
      return 'is not YAML';
    }
  });
  const pullSecret = readFile('CALICO_PULL_SECRET_FILE', "the .dockerconfigjson for Tigera's registry", (text) => {
    try {
      const doc = JSON.parse(text) as { auths?: unknown } | null;
      return doc && typeof doc.auths === 'object' && doc.auths !== null ? undefined : 'has no "auths" object';
    } catch {
      return 'is not JSON';
    }
  });
  if (license !== undefined) calico.enterpriseLicense = license;
  if (pullSecret !== undefined) calico.enterprisePullSecret = pullSecret;
  for (const [name, key] of [
    ['CALICO_CLOUD_INSTALLER_URL', 'cloudInstallerUrl'],
    ['CALICO_CLOUD_JOIN_URL', 'cloudJoinUrl'],
  ] as const) {
    const v = get(name);
    if (v === undefined) continue;
    // Query strings can carry tokens: quote nothing.
    if (httpUrl.safeParse(v).success) calico[key] = v;
    else bad(name, 'is not an http(s) URL');
  }
  // One join token per cluster, keyed by the spec's cluster name (Calico Cloud mints each for one cluster name).
  const cloudTokens: Record<string, string> = {};
  for (const c of spec?.clusters ?? []) {
    const v = get(cloudTokenVariable(c.name));
    if (v !== undefined) cloudTokens[c.name] = v;
  }
  if (Object.keys(cloudTokens).length > 0) calico.cloudTokens = cloudTokens;

  if (spec && runsJobs) {
    const variant = spec.calico.variant;
    const need = (name: string, present: boolean, what: string) => {
      if (!present && !problems.some((p) => p.variable === name)) {
        bad(name, `required because the mesh spec's calico.variant is ${variant}: ${what}`);
      }
    };
    if (variant === 'enterprise') {
      need('CALICO_LICENSE_FILE', license !== undefined, 'the path of the LicenseKey YAML that Tigera issued');
      need(
        'CALICO_PULL_SECRET_FILE',
        pullSecret !== undefined,
        "the path of the .dockerconfigjson for Tigera's registry",
      );
    } else if (variant === 'cloud') {
      if (get(SHARED_CLOUD_TOKEN) !== undefined) {
        bad(
          SHARED_CLOUD_TOKEN,
          'one token for every cluster: Calico Cloud generates each join for one cluster name, so set ' +
            `${spec.clusters.map((c) => cloudTokenVariable(c.name)).join(', ')} instead`,
        );
      }
      for (const c of spec.clusters) {
        need(
          cloudTokenVariable(c.name),
          cloudTokens[c.name] !== undefined,
          `the token of the join Calico Cloud generated for cluster ${eksClusterName(spec.name, c.name)} ` +
            '(Managed Clusters, Connect Cluster, that Cluster Name)',
        );
      }
      const byToken = new Map<string, string[]>();
      for (const [name, token] of Object.entries(cloudTokens))
        byToken.set(token, [...(byToken.get(token) ?? []), name]);
      for (const names of byToken.values()) {
        if (names.length < 2) continue;
        bad(
          cloudTokenVariable(names[0]),
          `holds the same token as ${names.slice(1).map(cloudTokenVariable).join(', ')}: a Calico Cloud join ` +
            'connects one cluster, so generate one per cluster',
        );
      }
      need('CALICO_CLOUD_INSTALLER_URL', calico.cloudInstallerUrl !== undefined, 'the operator installer manifest URL');
      need('CALICO_CLOUD_JOIN_URL', calico.cloudJoinUrl !== undefined, 'the managed-cluster join URL');
    }
  }

  if (problems.length > 0 || !spec || !botToken) throw new ConfigError(problems);

  const slack: SlackConfig = { botToken, mode, timeoutSeconds: slackTimeout };
  if (signingSecret !== undefined) slack.signingSecret = signingSecret;
  if (appToken !== undefined) slack.appToken = appToken;
  if (apiUrl !== undefined) slack.apiUrl = apiUrl;

  const config: AppConfig = {
    role,
    slack,
    redisUrl: redis,
    port: portNumber,
    admins,
    channels,
    specPath,
    spec,
    logLevel,
    pollIntervalSeconds,
    kubePollIntervalSeconds,
    workerConcurrency,
    workerLockSeconds,
    confirmSeconds,
    watchIntervalSeconds,
    awsCallTimeoutSeconds,
    calico,
    redacted: () => redact(config),
  };
  // Any accidental log of the whole object (pino, console, JSON) shows the redacted form.
  Object.defineProperty(config, 'toJSON', { value: () => redact(config), enumerable: false });
  Object.defineProperty(config, inspect.custom, { value: () => redact(config), enumerable: false });
  return config;
}

const SET = '[set]';
/** The one Calico Cloud token of earlier releases: read only to refuse it (not a variable to set). */
const SHARED_CLOUD_TOKEN = 'CALICO_CLOUD_TOKEN';

/** Masks the password of a URL (redis://:secret@host). */
function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username) u.username = '***';
    if (u.search) u.search = '?***';
    return u.toString();
  } catch {
    return '[unparseable]';
  }
}

function redact(c: AppConfig): Record<string, unknown> {
  return {
    role: c.role,
    slack: {
      mode: c.slack.mode,
      botToken: SET,
      signingSecret: c.slack.signingSecret ? SET : undefined,
      appToken: c.slack.appToken ? SET : undefined,
      apiUrl: c.slack.apiUrl,
      timeoutSeconds: c.slack.timeoutSeconds,
    },
    redisUrl: maskUrl(c.redisUrl),
    port: c.port,
    admins: c.admins,
    channels: c.channels,
    specPath: c.specPath,
    spec: {
      name: c.spec.name,
      clusters: c.spec.clusters.map((k) => `${k.name} (${k.region})`),
      calico: c.spec.calico.variant,
    },
    logLevel: c.logLevel,
    pollIntervalSeconds: c.pollIntervalSeconds,
    kubePollIntervalSeconds: c.kubePollIntervalSeconds,
    workerConcurrency: c.workerConcurrency,
    workerLockSeconds: c.workerLockSeconds,
    confirmSeconds: c.confirmSeconds,
    watchIntervalSeconds: c.watchIntervalSeconds,
    calico: {
      enterpriseLicense: c.calico.enterpriseLicense ? SET : undefined,
      enterprisePullSecret: c.calico.enterprisePullSecret ? SET : undefined,
      cloudInstallerUrl: c.calico.cloudInstallerUrl ? maskUrl(c.calico.cloudInstallerUrl) : undefined,
      cloudJoinUrl: c.calico.cloudJoinUrl ? maskUrl(c.calico.cloudJoinUrl) : undefined,
      cloudTokens: c.calico.cloudTokens
        ? Object.fromEntries(Object.keys(c.calico.cloudTokens).map((name) => [name, SET]))
        : undefined,
    },
  };
}
