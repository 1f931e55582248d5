import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../../src/log.ts';
import { safeText } from '../../../src/slack/format.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

const EKS_TOKEN = 'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eQ';
const SA_TOKEN =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y2FsaWNvIn0.c2lnbmF0dXJlLXZhbHVl';
const BOT_TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrSt';
const KUBECONFIG = `apiVersion: v1\nkind: Config\nusers:\n- name: federation\n  user:\n    token: ${SA_TOKEN}\n`;

describe('secrets never reach a log line', () => {
  it('redacts secret fields by name, at the top level and one level down', () => {
    const { lines, log } = capture();
    log.info(
      {
        token: 'plain-secret-value-1',
        kubeconfig: KUBECONFIG,
        slack: { botToken: BOT_TOKEN },
        data: { kubeconfig: 'abc' },
      },
      'building access',
    );
    const out = lines.join('');
    expect(out).not.toContain('plain-secret-value-1');
    expect(out).not.toContain(SA_TOKEN);
    expect(out).not.toContain(BOT_TOKEN);
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('building access');
  });

  it('writes a logged error with its type, message and stack, scrubbed', () => {
    const { lines, log } = capture();
    const cause = new TypeError(`socket closed, token: ${SA_TOKEN}`);
    log.error({ err: new Error('apply failed', { cause }), detail: { error: new RangeError('bad size') } }, 'failed');
    const line = JSON.parse(lines.join('')) as {
      err: { type: string; message: string; stack: string };
      detail: { error: { type: string; message: string } };
    };
    expect(line.err.type).toBe('Error');
    expect(line.err.message).toContain('apply failed');
    expect(line.err.message).toContain('socket closed, token: [REDACTED]');
    expect(line.err.stack).toContain('log-redaction.test.ts');
    expect(line.detail.error).toMatchObject({ type: 'RangeError', message: 'bad size' });
    expect(lines.join('')).not.toContain(SA_TOKEN);
  });

  it('scrubs tokens that appear inside messages and error texts', () => {
    const { lines, log } = capture();
    log.warn(`request failed with Authorization: Bearer ${EKS_TOKEN}`);
    log.error({ err: new Error(`apply failed for kubeconfig containing token: ${SA_TOKEN}`) }, 'step failed');
    log.info(
      {
        url: 'https://sts.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Signature=deadbeefcafe0123&X-Amz-Credential=AKIAEXAMPLE%2F2026',
      },
      'presigned',
    );
    const out = lines.join('');
    expect(out).not.toContain(EKS_TOKEN);
    expect(out).not.toContain(SA_TOKEN);
    expect(out).not.toContain('deadbeefcafe0123');
    expect(out).not.toContain('AKIAEXAMPLE');
    expect(out).toContain('X-Amz-Signature=[REDACTED]');
  });

  it('keeps ordinary text untouched', () => {
    const text = 'created vpc-0abc123 (10.0.0.0/16) and nat-0123456789abcdef0 in us-east-1';
    expect(scrubSecrets(text)).toBe(text);
  });

  it('guards what goes to Slack the same way', () => {
    expect(safeText(`kubeconfig for pdx:\n${KUBECONFIG}`)).not.toContain(SA_TOKEN);
    expect(safeText(`token ${BOT_TOKEN}`)).not.toContain(BOT_TOKEN);
  });
});

describe('the scrubber knows AWS keys, private keys, pull secrets and URL passwords', () => {
  const PEM =
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----';
  const DOCKER = '{"auths":{"quay.io":{"auth":"dGlnZXJhOnNlY3JldC1wdWxsLXBhc3M=","email":"ops@example.com"}}}';
  const cases: Array<[string, string, string]> = [
    ['a long-term access key ID', 'using AKIAIOSFODNN7EXAMPLE for us-east-1', 'AKIAIOSFODNN7EXAMPLE'],
    ['a temporary access key ID', 'assumed role: ASIAY34FZKBOKMUTVV7A', 'ASIAY34FZKBOKMUTVV7A'],
    [
      'a PEM private key',
      `client key:\n${PEM}\nnext line`,
      'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
    ],
    ['a PEM private key cut off in an excerpt', PEM.slice(0, 90), 'MIIEowIBAAKCAQEA'],
    ['the auth of a .dockerconfigjson', DOCKER, 'dGlnZXJhOnNlY3JldC1wdWxsLXBhc3M='],
    [
      'a .dockerconfigjson as Secret data',
      `data:\n  .dockerconfigjson: ${Buffer.from(DOCKER).toString('base64')}`,
      Buffer.from(DOCKER).toString('base64').slice(0, 24),
    ],
    ['a password in a URL', 'connecting to redis://default:hunter2-redis@10.0.0.5:6379/0', 'hunter2-redis'],
    ['a password in a URL without a user', 'REDIS_URL=rediss://:s3cr3t-pw@cache:6380', 's3cr3t-pw'],
  ];

  it.each(cases)('%s never reaches Slack', (_what, text, secret) => {
    expect(safeText(text)).not.toContain(secret);
    expect(safeText(text)).toContain('[REDACTED]');
  });

  it.each(cases)('%s never reaches a log line, in the message or in a field', (_what, text, secret) => {
    const { lines, log } = capture();
    log.warn(text);
    log.error({ err: new Error(text), detail: { output: text } }, 'step failed');
    expect(lines.join('')).not.toContain(secret);
  });

  it('keeps the user and host of a URL, and the names of what it redacted', () => {
    expect(scrubSecrets('redis://default:hunter2-redis@10.0.0.5:6379/0')).toBe(
      'redis://default:[REDACTED]@10.0.0.5:6379/0',
    );
    expect(scrubSecrets('https://quay.io/v2/')).toBe('https://quay.io/v2/');
    expect(scrubSecrets('key AKIAIOSFODNN7EXAMPLE')).toBe('key [REDACTED]');
  });
});
