// The moto launcher: answers when started, leaves no process behind when stopped, and says how to install
// moto when it cannot start it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startMoto } from '../../sandbox/aws/moto.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startMoto', () => {
  it('starts moto on a loopback port and stops its whole process group', async () => {
    const moto = await startMoto();
    try {
      expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${moto.endpoint}/moto-api/`)).status).toBe(200);
    } finally {
      await moto.stop();
    }
    expect(alive(moto.pid)).toBe(false);
    await expect(fetch(`${moto.endpoint}/moto-api/`)).rejects.toThrow();
  });

  it('does not outlive the process that started it, even one that never calls stop()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h3-orphan-'));
    const script = join(dir, 'start-and-die.ts');
    const motoModule = new URL('../../sandbox/aws/moto.ts', import.meta.url).pathname;
    writeFileSync(
      script,
      `import { startMoto } from '${motoModule}';\nconst m = await startMoto();\nconsole.log(m.pid);\nprocess.exit(0);\n`,
    );
    try {
      const pid = Number(execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 }).trim());
      expect(pid).toBeGreaterThan(0);
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(alive(pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how to install when python3 is missing', async () => {
    await expect(startMoto({ python: '/nonexistent/python3' })).rejects.toThrow(
      /'\/nonexistent\/python3' is not installed.*pip install 'moto\[server\]'/,
    );
  });

  it('says how to install when python3 has no moto module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h3-nomoto-'));
    const fake = join(dir, 'python3');
    writeFileSync(
      fake,
      "#!/bin/sh\necho \"/usr/bin/python3: Error while finding module specification for 'moto.server' (ModuleNotFoundError: No module named 'moto')\" >&2\nexit 1\n",
    );
    chmodSync(fake, 0o755);
    try {
      await expect(startMoto({ python: fake })).rejects.toThrow(/has no moto module.*pip install 'moto\[server\]'/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
