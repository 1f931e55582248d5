// kubectl 1.27 to 1.29 run `exec` over SPDY/3.1 (a POST upgrade), not WebSocket: the API stand-in serves both, so
// a user on an older kubectl can exec into the sandbox's pods as into a real cluster's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoExec, execOnlyControllers, kubectl, kubectlRelease, runningPod, startSandbox } from './harness.ts';

describe('exec over SPDY/3.1', () => {
  let sb: Awaited<ReturnType<typeof startSandbox>>;
  let admin: string;

  beforeAll(async () => {
    sb = await startSandbox({ installControllers: execOnlyControllers(echoExec) });
    admin = sb.kubeconfigFile();
    sb.handle.store.create(runningPod('netshoot'));
  });
  afterAll(async () => sb?.stop());

  it.each(['1.27', '1.28', '1.29'])('kubectl %s upgrades with a POST to SPDY/3.1 and prints the output', async (v) => {
    const r = await kubectl(admin, ['-v=6', 'exec', 'netshoot', '--', 'ping', '-c', '1', 'web-0.web.default.svc'], {
      bin: kubectlRelease(v),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /POST https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/pods\/netshoot\/exec\?.* 101/,
    );
    expect(r.stdout).toContain('64 bytes: icmp_seq=1 ttl=63 time=64.2 ms');
  });

  it('passes the exit code and stderr through, and names a missing pod', async () => {
    const bin = kubectlRelease('1.27');
    const failed = await kubectl(admin, ['exec', 'netshoot', '--', 'false'], { bin });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('failed on purpose');
    expect(failed.stderr).toContain('command terminated with exit code 3');
    const missing = await kubectl(admin, ['exec', 'ghost', '--', 'ls'], { bin });
    expect(missing.stderr).toContain('pods "ghost" not found');
  });
});
