// `npm run sandbox -- "/mesh help" "/mesh status"`: the console path a new user tries first.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the sandbox console in batch mode', () => {
  it('runs the commands in order, prints the channel as text, and exits 0 when all succeeded', async () => {
    const { stdout } = await run(process.execPath, ['sandbox/console.ts', '/mesh help', '/mesh status'], {
      timeout: 180_000,
      maxBuffer: 10 * 1024 * 1024,
      env: { ...process.env, REDIS_URL: '' },
    });
    expect(stdout).toContain('> /mesh help');
    expect(stdout).toContain('/mesh up [--dry-run]');
    expect(stdout).toMatch(/No mesh \*demo\* exists in this account/);
    expect(stdout).toMatch(/ok\s+\/mesh help\nok\s+\/mesh status/);
  }, 200_000);

  it('exits 1 when a command fails, after showing what was wrong', async () => {
    const err = await run(process.execPath, ['sandbox/console.ts', '/mesh stauts'], {
      timeout: 180_000,
      env: { ...process.env, REDIS_URL: '' },
    }).then(
      () => undefined,
      (e: { code?: number; stdout?: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stdout).toMatch(/did you mean `status`\?/);
    expect(err?.stdout).toMatch(/FAILED\s+\/mesh stauts/);
  }, 200_000);
});
