// What must be refused before anything is made: a spec with overlapping CIDRs (the bot does not start), and a
// cluster mesh on Calico Open Source (up stops at the Calico step with what to configure).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { botEnv } from '../helpers/bot.ts';
import { sandboxFor, seen } from './helpers.ts';

const run = promisify(execFile);

describe('a spec with overlapping CIDRs', () => {
  it('keeps the bot from starting, naming both fields of every overlap', async () => {
    const env = {
      ...process.env,
      ...botEnv({ redisUrl: 'redis://127.0.0.1:1', slackApiUrl: 'http://127.0.0.1:1/api/', port: 0 }),
      MESH_SPEC: `${process.cwd()}/test/fixtures/mesh-overlap.yaml`,
    };
    const err = await run(process.execPath, ['src/main.ts'], { env, timeout: 30_000 }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(
      /clusters\[0\]\.vpcCidr.*clusters\[1\]\.vpcCidr|clusters\[1\]\.vpcCidr.*clusters\[0\]\.vpcCidr/s,
    );
    expect(err?.stderr).toMatch(/clusters\[0\]\.podCidr/);
  }, 60_000);
});

describe('Calico Open Source', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandboxFor('oss', { specPath: `${process.cwd()}/test/fixtures/mesh-oss.yaml` });
  }, 120_000);
  afterAll(async () => {
    await sb?.stop();
  });

  it('up stops at the Calico step and says the mesh needs Calico Enterprise or Calico Cloud, and what to configure', async () => {
    const up = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(up.ok).toBe(false);
    const text = [seen(up.anchor), ...up.thread.map((m) => seen(m))].join('\n');
    expect(text).toMatch(/RemoteClusterConfiguration/);
    expect(text).toMatch(/Calico Enterprise or Calico Cloud/);
    expect(text).toMatch(/CALICO_LICENSE_FILE/);
    expect(text).not.toMatch(/trying again automatically/);
  }, 300_000);
});
