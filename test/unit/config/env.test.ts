import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/env.ts';
import { parseSpec } from '../../../src/config/spec.ts';
import type { MeshSpec } from '../../../src/config/spec-types.ts';

const dir = mkdtempSync(join(tmpdir(), 'meshops-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MESH_YAML = new URL('../../../infra/mesh.yaml', import.meta.url).pathname;
const meshText = readFileSync(MESH_YAML, 'utf8');
const specWith = (variant: string): MeshSpec =>
  parseSpec(meshText.replace(/variant: enterprise/, `variant: ${variant}`), 'test');

// Secret-looking values, to prove no message and no redacted form ever contains them.
const BOT = 'xoxb-111-222-SECRETBOT';
const SIGNING = 'signing-SECRET-8f3a';
const APP = 'xapp-1-SECRETAPP';
const CLOUD_TOKEN = 'cloud-SECRET-token';
const LICENSE =
  'apiVersion: projectcalico.org/v3\nkind: LicenseKey\nmetadata:\n  name: default\nspec:\n  token: LICENSE-SECRET\n';
const PULL = JSON.stringify({ auths: { 'quay.io': { auth: 'PULL-SECRET' } } });
const SECRETS = [BOT, SIGNING, APP, CLOUD_TOKEN, 'LICENSE-SECRET', 'PULL-SECRET', 'redis-pass'];

writeFileSync(join(dir, 'license.yaml'), LICENSE);
writeFileSync(join(dir, 'pull.json'), PULL);
writeFileSync(join(dir, 'not-license.yaml'), 'kind: Secret\n');
writeFileSync(join(dir, 'not-json.json'), 'auths: {}');
writeFileSync(join(dir, 'bad-spec.yaml'), meshText.replace('name: demo', 'name: Demo'));

const base: NodeJS.ProcessEnv = {
  SLACK_BOT_TOKEN: BOT,
  SLACK_SIGNING_SECRET: SIGNING,
  MESH_ADMINS: 'U012ABC,U034DEF',
  MESH_CHANNELS: 'C0123ABC, G0456DEF',
  MESH_SPEC: MESH_YAML,
  CALICO_LICENSE_FILE: join(dir, 'license.yaml'),
  CALICO_PULL_SECRET_FILE: join(dir, 'pull.json'),
};

function problemsOf(env: NodeJS.ProcessEnv, opts: Parameters<typeof loadConfig>[1] = {}): ConfigError {
  try {
    loadConfig(env, opts);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadConfig: a valid environment', () => {
  it('applies the defaults and reads the Calico Enterprise files', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      role: 'all',
      redisUrl: 'redis://127.0.0.1:6379',
      port: 3000,
      logLevel: 'info',
      pollIntervalSeconds: 30,
      workerConcurrency: 4,
      awsCallTimeoutSeconds: 30,
      admins: ['U012ABC', 'U034DEF'],
      channels: ['C0123ABC', 'G0456DEF'],
      slack: { botToken: BOT, signingSecret: SIGNING, mode: 'http' },
    });
    expect(c.spec.name).toBe('demo');
    expect(c.calico).toEqual({ enterpriseLicense: LICENSE, enterprisePullSecret: PULL });
  });

  it('reads every variable it knows', () => {
    const c = loadConfig({
      ...base,
      SLACK_APP_TOKEN: APP,
      SLACK_API_URL: 'http://127.0.0.1:4001/api/',
      SLACK_API_STAND_IN: 'true',
      REDIS_URL: 'redis://:redis-pass@10.0.0.5:6380/2',
      PORT: '0',
      ROLE: 'web',
      LOG_LEVEL: 'DEBUG',
      POLL_INTERVAL_SECONDS: '0.2',
      WORKER_CONCURRENCY: '8',
      AWS_CALL_TIMEOUT_SECONDS: '2.5',
    });
    expect(c).toMatchObject({
      role: 'web',
      port: 0,
      logLevel: 'debug',
      pollIntervalSeconds: 0.2,
      workerConcurrency: 8,
      awsCallTimeoutSeconds: 2.5,
      redisUrl: 'redis://:redis-pass@10.0.0.5:6380/2',
      slack: { mode: 'socket', appToken: APP, apiUrl: 'http://127.0.0.1:4001/api/' },
    });
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['Socket Mode needs no signing secret', { SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: APP }],
    [
      'a worker needs no signing secret, admins or channels',
      { ROLE: 'worker', SLACK_SIGNING_SECRET: undefined, MESH_ADMINS: '', MESH_CHANNELS: '' },
    ],
    [
      'the web role needs no Calico credentials',
      { ROLE: 'web', CALICO_LICENSE_FILE: undefined, CALICO_PULL_SECRET_FILE: undefined },
    ],
  ])('%s', (_what, change) => {
    expect(() => loadConfig({ ...base, ...change })).not.toThrow();
  });

  it('needs no Calico credentials for the oss variant, and the Cloud ones for cloud', () => {
    const noEnterprise = { ...base, CALICO_LICENSE_FILE: undefined, CALICO_PULL_SECRET_FILE: undefined };
    expect(loadConfig(noEnterprise, { spec: specWith('oss') }).calico).toEqual({});
    const cloud = loadConfig(
      {
        ...noEnterprise,
        CALICO_CLOUD_TOKEN_IAD: CLOUD_TOKEN,
        CALICO_CLOUD_TOKEN_PDX: `${CLOUD_TOKEN}-pdx`,
        CALICO_CLOUD_INSTALLER_URL: 'https://installer.calicocloud.io/manifests/v3.22/deploy.yaml',
        CALICO_CLOUD_JOIN_URL: 'https://www.calicocloud.io/api/managed-cluster/deploy.yaml',
      },
      { spec: specWith('cloud') },
    );
    expect(cloud.calico.cloudTokens).toEqual({ iad: CLOUD_TOKEN, pdx: `${CLOUD_TOKEN}-pdx` });
    expect(cloud.calico.cloudJoinUrl).toMatch(/^https:\/\/www.calicocloud.io/);
  });

  it('never shows a secret when logged, stringified or inspected', () => {
    const c = loadConfig({
      ...base,
      SLACK_APP_TOKEN: APP,
      REDIS_URL: 'redis://:redis-pass@h:6379',
      CALICO_CLOUD_TOKEN_IAD: CLOUD_TOKEN,
    });
    for (const shown of [JSON.stringify(c), JSON.stringify(c.redacted()), inspect(c, { depth: 5 })]) {
      for (const s of SECRETS) expect(shown).not.toContain(s);
      expect(shown).toContain('U012ABC');
    }
    expect(c.redacted()).toMatchObject({
      slack: { botToken: '[set]' },
      redisUrl: 'redis://:***@h:6379',
      calico: { cloudTokens: { iad: '[set]' } },
    });
  });
});

describe('loadConfig: each bad variable is named, with what is allowed, and no secret is echoed', () => {
  it.each<[string, NodeJS.ProcessEnv, string, RegExp]>([
    ['missing bot token', { SLACK_BOT_TOKEN: undefined }, 'SLACK_BOT_TOKEN', /required: the bot token \(xoxb-/],
    [
      'a user token as bot token',
      { SLACK_BOT_TOKEN: 'xoxp-1-SECRETUSER' },
      'SLACK_BOT_TOKEN',
      /user token \(xoxp-\); use the bot token/,
    ],
    ['an app token as bot token', { SLACK_BOT_TOKEN: APP }, 'SLACK_BOT_TOKEN', /belongs in SLACK_APP_TOKEN/],
    ['a bot token of another kind', { SLACK_BOT_TOKEN: 'SECRETBOT' }, 'SLACK_BOT_TOKEN', /expected xoxb-/],
    [
      'missing signing secret in HTTP mode',
      { SLACK_SIGNING_SECRET: undefined },
      'SLACK_SIGNING_SECRET',
      /required in HTTP mode.*or set SLACK_APP_TOKEN for Socket Mode/,
    ],
    ['malformed app token', { SLACK_APP_TOKEN: 'SECRETAPP' }, 'SLACK_APP_TOKEN', /expected xapp-/],
    ['Slack API URL not a URL', { SLACK_API_URL: 'slack.local' }, 'SLACK_API_URL', /not an http\(s\) URL/],
    [
      'Slack API URL elsewhere without the stand-in setting',
      { SLACK_API_URL: 'https://slack.example.net/api/' },
      'SLACK_API_URL',
      /SLACK_API_STAND_IN=true/,
    ],
    ['the stand-in setting not a boolean', { SLACK_API_STAND_IN: 'yes' }, 'SLACK_API_STAND_IN', /true or false/],
    ['Redis URL of another scheme', { REDIS_URL: 'http://:redis-pass@h' }, 'REDIS_URL', /expected redis:\/\/host:port/],
    ['port out of range', { PORT: '70000' }, 'PORT', /"70000" is not allowed; expected a port number from 0 to 65535/],
    ['port not a number', { PORT: 'http' }, 'PORT', /expected a port number/],
    ['unknown role', { ROLE: 'both' }, 'ROLE', /"both" is not a role; allowed: web, worker, all/],
    [
      'unknown log level',
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL',
      /allowed: fatal, error, warn, info, debug, trace, silent/,
    ],
    ['zero poll interval', { POLL_INTERVAL_SECONDS: '0' }, 'POLL_INTERVAL_SECONDS', /seconds above 0/],
    ['fractional concurrency', { WORKER_CONCURRENCY: '1.5' }, 'WORKER_CONCURRENCY', /whole number from 1 to 64/],
    [
      'an admin by display name',
      { MESH_ADMINS: 'U012ABC,@alice' },
      'MESH_ADMINS',
      /"@alice" looks like a display name; use member IDs like U012ABCDEF/,
    ],
    [
      'an admin by another ID kind',
      { MESH_ADMINS: 'C012ABC' },
      'MESH_ADMINS',
      /not a Slack member ID; expected U\.\.\. or W\.\.\./,
    ],
    ['an admin ID in lower case', { MESH_ADMINS: 'u012abc' }, 'MESH_ADMINS', /member IDs are upper case, like U012ABC/],
    [
      'a channel ID in lower case',
      { MESH_CHANNELS: 'c0123abc' },
      'MESH_CHANNELS',
      /channel IDs are upper case, like C0123ABC/,
    ],
    [
      'an admin by a name that looks like an ID',
      { MESH_ADMINS: 'walter' },
      'MESH_ADMINS',
      /"walter" looks like a display name/,
    ],
    ['a channel by a bare name', { MESH_CHANNELS: 'general' }, 'MESH_CHANNELS', /"general" looks like a channel name/],
    ['no admins', { MESH_ADMINS: ' , ' }, 'MESH_ADMINS', /required: .*nobody could change the mesh/],
    [
      'a channel by name',
      { MESH_CHANNELS: '#ops' },
      'MESH_CHANNELS',
      /"#ops" looks like a channel name; use channel IDs/,
    ],
    ['no channels', { MESH_CHANNELS: undefined }, 'MESH_CHANNELS', /required: .*no "every channel" default/],
    [
      'an invalid spec',
      { MESH_SPEC: join(dir, 'bad-spec.yaml') },
      'MESH_SPEC',
      /mesh spec .*bad-spec.yaml has 1 problem:\n- name: "Demo"/,
    ],
    ['a missing spec file', { MESH_SPEC: join(dir, 'none.yaml') }, 'MESH_SPEC', /cannot read the file \(ENOENT\)/],
    [
      'enterprise without a license',
      { CALICO_LICENSE_FILE: undefined },
      'CALICO_LICENSE_FILE',
      /required because the mesh spec's calico.variant is enterprise/,
    ],
    [
      'enterprise without a pull secret',
      { CALICO_PULL_SECRET_FILE: undefined },
      'CALICO_PULL_SECRET_FILE',
      /required because .* enterprise/,
    ],
    [
      'a license file that is missing',
      { CALICO_LICENSE_FILE: join(dir, 'nope.yaml') },
      'CALICO_LICENSE_FILE',
      /cannot read .*nope.yaml \(ENOENT\)/,
    ],
    [
      'a license file that is no LicenseKey',
      { CALICO_LICENSE_FILE: join(dir, 'not-license.yaml') },
      'CALICO_LICENSE_FILE',
      /is not a LicenseKey manifest/,
    ],
    [
      'a pull secret that is not JSON',
      { CALICO_PULL_SECRET_FILE: join(dir, 'not-json.json') },
      'CALICO_PULL_SECRET_FILE',
      /is not JSON; expected the .dockerconfigjson/,
    ],
  ])('%s', (_what, change, variable, message) => {
    const err = problemsOf({ ...base, ...change });
    const hit = err.problems.find((p) => p.variable === variable);
    expect(hit, JSON.stringify(err.problems)).toBeDefined();
    expect(hit!.message).toMatch(message);
    for (const s of SECRETS) expect(err.message).not.toContain(s);
  });

  it('asks for the Calico Cloud URLs and a token per cluster when the variant is cloud', () => {
    const err = problemsOf(
      { ...base, CALICO_CLOUD_JOIN_URL: 'not a url', CALICO_CLOUD_TOKEN_IAD: CLOUD_TOKEN },
      { spec: specWith('cloud') },
    );
    expect(err.problems.map((p) => p.variable).sort()).toEqual([
      'CALICO_CLOUD_INSTALLER_URL',
      'CALICO_CLOUD_JOIN_URL',
      'CALICO_CLOUD_TOKEN_PDX',
    ]);
    expect(err.message).toMatch(
      /CALICO_CLOUD_TOKEN_PDX: required because the mesh spec's calico.variant is cloud: the token of the join Calico Cloud generated for cluster demo-pdx/,
    );
    expect(err.message).not.toContain(CLOUD_TOKEN);
  });

  it('refuses one Calico Cloud token for every cluster: each join is generated for one cluster name', () => {
    const shared = problemsOf({ ...base, CALICO_CLOUD_TOKEN: CLOUD_TOKEN }, { spec: specWith('cloud') });
    expect(shared.message).toMatch(
      /CALICO_CLOUD_TOKEN: one token for every cluster: .* set CALICO_CLOUD_TOKEN_IAD, CALICO_CLOUD_TOKEN_PDX instead/,
    );
    const same = problemsOf(
      { ...base, CALICO_CLOUD_TOKEN_IAD: CLOUD_TOKEN, CALICO_CLOUD_TOKEN_PDX: CLOUD_TOKEN },
      { spec: specWith('cloud') },
    );
    expect(same.message).toMatch(/CALICO_CLOUD_TOKEN_IAD: holds the same token as CALICO_CLOUD_TOKEN_PDX/);
    for (const err of [shared, same]) expect(err.message).not.toContain(CLOUD_TOKEN);
  });

  it.each(['0', '-1', 'soon', '301'])('refuses AWS_CALL_TIMEOUT_SECONDS=%s, saying what it takes', (value) => {
    const err = problemsOf({ ...base, AWS_CALL_TIMEOUT_SECONDS: value });
    expect(err.problems).toEqual([
      {
        variable: 'AWS_CALL_TIMEOUT_SECONDS',
        message: `"${value}" is not allowed; expected seconds above 0, at most 300 (default 30)`,
      },
    ]);
  });

  it('reports every problem at once', () => {
    const err = problemsOf({ PORT: 'x', ROLE: 'web', MESH_ADMINS: '@bob' });
    expect(err.problems.map((p) => p.variable)).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'PORT',
      'MESH_ADMINS',
      'MESH_CHANNELS',
    ]);
    expect(err.message).toMatch(/^configuration has 5 problems:\n- SLACK_BOT_TOKEN: /);
    expect(err.code).toBe('InvalidConfig');
  });
});
