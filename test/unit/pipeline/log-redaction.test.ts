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
const SA_TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y2FsaWNvIn0.c2lnbmF0dXJlLXZhbHVl';
const BOT_TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrSt';
const KUBECONFIG = `apiVersion: v1\nkind: Config\nusers:\n- name: federation\n  user:\n    token: ${SA_TOKEN}\n`;

describe('secrets never reach a log line', () => {
  it('redacts secret fields by name, at the top level and one level down', () => {
    const { lines, log } = capture();
    log.info({ token: 'plain-secret-value-1', kubeconfig: KUBECONFIG, slack: { botToken: BOT_TOKEN }, data: { kubeconfig: 'abc' } }, 'building access');
    const out = lines.join('');
    expect(out).not.toContain('plain-secret-value-1');
    expect(out).not.toContain(SA_TOKEN);
    expect(out).not.toContain(BOT_TOKEN);
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('building access');
  });

  it('scrubs tokens that appear inside messages and error texts', () => {
    const { lines, log } = capture();
    log.warn(`request failed with Authorization: Bearer ${EKS_TOKEN}`);
    log.error({ err: new Error(`apply failed for kubeconfig containing token: ${SA_TOKEN}`) }, 'step failed');
    log.info({ url: 'https://sts.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Signature=deadbeefcafe0123&X-Amz-Credential=AKIAEXAMPLE%2F2026' }, 'presigned');
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
