// What the README promises around a change, end to end on the sandbox: `/mesh up --dry-run` shows the plan and
// changes nothing; `/mesh cancel` stops a running `up` or `down` at a safe point and says so, and the next `up` or
// `down` finishes the job; `/mesh status` calls a half-built mesh "partial" and a broken one "degraded". What AWS
// holds is read through the SDK against the sandbox's AWS endpoint, as a user's AWS CLI would read it.
import { DeleteRouteCommand, DescribeRouteTablesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, NON_ADMIN, type Sandbox } from '../../sandbox/sandbox.ts';
import type { SlackMessage } from '../../sandbox/slack/state.ts';
import { countMesh, expectedCounts, sandboxFor, seen, ZERO } from './helpers.ts';

let sb: Sandbox;

beforeAll(async () => {
  sb = await sandboxFor('dry-run-cancel');
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

const everything = (o: { anchor?: SlackMessage; thread: SlackMessage[] }) =>
  [seen(o.anchor), ...o.thread.map((m) => seen(m))].join('\n');

/** Resolves once the job under this anchor has finished a step (whose title matches, if given) in its thread. */
const stepDone = (anchor: SlackMessage, title = /./) =>
  sb.slack.waitFor(
    (m) => m.threadTs === anchor.ts && m.text.startsWith(':white_check_mark:') && title.test(m.text),
    120_000,
  );

/** Neither nothing nor everything: some kind of resource exists, and the mesh is not complete. */
function expectHalfThere(counts: Awaited<ReturnType<typeof countMesh>>) {
  expect(counts).not.toEqual(ZERO);
  expect(counts).not.toEqual(expectedCounts(2));
}

describe('/mesh up --dry-run', () => {
  it('posts the plan and the cost for anyone in the channel, and creates nothing on AWS', async () => {
    const dry = await sb.run('up --dry-run', { user: NON_ADMIN, timeoutMs: 120_000 });
    expect(dry.ok, seen(dry.anchor)).toBe(true);
    const thread = dry.thread.map((m) => seen(m)).join('\n');
    expect(thread).toMatch(/\*Dry run\*: the plan for mesh \*demo\* \(\d+ steps\)\. Nothing will be changed\./);
    expect(thread).toMatch(/will create/);
    expect(thread).toMatch(/Estimated cost once up/);
    expect(seen(dry.anchor)).toMatch(/would create or complete \d+ of \d+ steps .*Nothing was changed\./);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 180_000);
});

describe('/mesh cancel of a running up', () => {
  it('stops at a safe point and says what was left; status calls the mesh partial', async () => {
    const anchor = await sb.send(`up --confirm ${sb.spec.name}`);
    expect(anchor, 'the up job has a message in the channel').toBeDefined();
    await stepDone(anchor!);
    const cancel = await sb.run('cancel');
    expect(cancel.ok, cancel.ephemeral.join('\n')).toBe(true);
    expect(cancel.ephemeral.join('\n')).toMatch(/Job \d+ \(`up`\) will stop at its next safe point/);

    const up = await sb.settle(anchor!, 180_000);
    expect(up.ok).toBe(false);
    expect(up.anchor!.text).toMatch(/^:no_entry_sign:/);
    expect(seen(up.anchor)).toContain(`cancelled by <@${ADMIN}>`);
    expect(seen(up.anchor)).toMatch(
      /What was made so far is left in place; `\/mesh up` continues it, `\/mesh down` removes it/,
    );
    expectHalfThere(await countMesh(sb, 'gateway'));

    const status = await sb.run('status', { timeoutMs: 120_000 });
    expect(status.ok, seen(status.anchor)).toBe(true);
    expect(seen(status.anchor)).toMatch(
      /Mesh \*demo\* is half-built or half-deleted: \d+ parts exist, \d+ are missing/,
    );
    expect(seen(status.anchor)).toMatch(
      /Run `\/mesh up` to finish building it, or `\/mesh down` to remove what is left/,
    );
  }, 360_000);

  it('a later up continues from there and completes the mesh', async () => {
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok, everything(up)).toBe(true);
    expect(seen(up.anchor)).toMatch(/is up and verified/);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(2));
  }, 360_000);
});

describe('/mesh status on a broken mesh', () => {
  it('calls it degraded and names the missing route; up repairs it and status is healthy again', async () => {
    const [iad, pdx] = sb.spec.clusters;
    const ec2 = new EC2Client({
      region: iad!.region,
      endpoint: sb.cloud.awsEndpoint,
      credentials: {
        accessKeyId: sb.cloud.awsEnv.AWS_ACCESS_KEY_ID!,
        secretAccessKey: sb.cloud.awsEnv.AWS_SECRET_ACCESS_KEY!,
      },
    });
    const tables = await ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'tag:meshops:cluster', Values: [iad!.name] },
          { Name: 'tag:meshops:component', Values: ['rtb-private'] },
        ],
      }),
    );
    const table = tables.RouteTables?.[0]?.RouteTableId;
    expect(table, 'iad has a private route table').toBeDefined();
    await ec2.send(new DeleteRouteCommand({ RouteTableId: table, DestinationCidrBlock: pdx!.vpcCidr }));

    const status = await sb.run('status', { timeoutMs: 120_000 });
    expect(status.ok, seen(status.anchor)).toBe(true);
    expect(seen(status.anchor)).toMatch(/Mesh \*demo\*: [1-9]\d* failing, \d+ warning, \d+ ok\./);
    expect(seen(status.anchor)).toContain(`route table ${table}: no route to ${pdx!.vpcCidr} (${pdx!.name})`);

    const repair = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(repair.ok, everything(repair)).toBe(true);
    const healthy = await sb.run('status', { timeoutMs: 120_000 });
    expect(seen(healthy.anchor)).toMatch(/Mesh \*demo\* is healthy: all \d+ checks ok\./);
  }, 600_000);
});

describe('/mesh cancel of a running down', () => {
  it('stops at a safe point and says so; a later down removes the rest', async () => {
    const anchor = await sb.send('down --confirm demo');
    expect(anchor, 'the down job has a message in the channel').toBeDefined();
    // Down removes the Kubernetes objects first; cancel once it has deleted something on AWS too.
    await stepDone(anchor!, /delete node groups of/);
    const cancel = await sb.run('cancel');
    expect(cancel.ephemeral.join('\n')).toMatch(/Job \d+ \(`down`\) will stop at its next safe point/);

    const down = await sb.settle(anchor!, 180_000);
    expect(down.ok).toBe(false);
    expect(down.anchor!.text).toMatch(/^:no_entry_sign:/);
    expect(seen(down.anchor)).toContain(`cancelled by <@${ADMIN}>`);
    expect(seen(down.anchor)).toMatch(/left in place/);
    expectHalfThere(await countMesh(sb, 'gateway'));
    const status = await sb.run('status', { timeoutMs: 120_000 });
    expect(seen(status.anchor)).toMatch(/half-built or half-deleted/);

    const again = await sb.run('down --confirm demo', { timeoutMs: 300_000 });
    expect(again.ok, everything(again)).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 600_000);
});
