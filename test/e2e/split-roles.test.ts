// Web and worker as separate processes, as the README's deployment runs them: one `node src/main.ts` with
// ROLE=web answers Slack and queues, another with ROLE=worker runs the jobs. A job queued while no worker runs
// shows as queued and runs once a worker starts, in the worker's process; then a real up, status and down go through both.

import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { countMesh, expectedCounts, sandboxFor, seen, ZERO } from './helpers.ts';

let sb: Sandbox;
let worker: ChildProcess | undefined;
// Each process's own log lines (pino JSON), to tell which process ran a job.
let webLog = '';
let workerLog = '';
const jobsStarted = (log: string) => log.split('\n').filter((l) => l.includes('"msg":"job started"')).length;

beforeAll(async () => {
  sb = await sandboxFor('split-roles', { botEnv: { ROLE: 'web' } });
  sb.bot().stdout!.on('data', (chunk: Buffer) => {
    webLog += chunk.toString();
  });
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('ROLE=web and ROLE=worker as two processes', () => {
  it('the web process queues a job it cannot run; it runs once a worker process starts', async () => {
    const anchor = await sb.send('up --dry-run');
    expect(anchor, 'the web role posted the job message').toBeDefined();
    expect(anchor!.text).toMatch(/^:hourglass_flowing_sand:/);
    worker = await sb.startWorker();
    worker.stdout!.on('data', (chunk: Buffer) => {
      workerLog += chunk.toString();
    });
    const dry = await sb.settle(anchor!, 120_000);
    expect(dry.ok, seen(dry.anchor)).toBe(true);
    expect(seen(dry.anchor)).toMatch(/Nothing was changed/);
    expect(jobsStarted(workerLog), 'the worker process ran the job').toBe(1);
    expect(jobsStarted(webLog), 'the web process ran no job').toBe(0);
  }, 180_000);

  it('up, status and down run in the worker process and answer in the channel the web process serves', async () => {
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok, seen(up.anchor)).toBe(true);
    expect(seen(up.anchor)).toMatch(/is up and verified/);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));

    const status = await sb.run('status', { timeoutMs: 120_000 });
    expect(seen(status.anchor)).toMatch(/Mesh \*demo\* is healthy/);

    const down = await sb.run('down --confirm demo', { timeoutMs: 300_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
    expect(jobsStarted(workerLog), 'the worker process ran up, status and down').toBe(4);
    expect(jobsStarted(webLog), 'the web process ran no job').toBe(0);
    expect(worker?.exitCode, 'the worker process is still running').toBeNull();
    expect(sb.bot().exitCode, 'the web process is still running').toBeNull();
  }, 720_000);
});
