// Shared by the end-to-end files: a sandbox per file, and counts of what carries the mesh's tag, read from moto
// directly (not through product code and not through the gateway's injected faults).
import { DescribeVpcPeeringConnectionsCommand } from '@aws-sdk/client-ec2';
import { pino } from 'pino';
import { CHANNEL, type Sandbox, type SandboxOptions, startSandbox } from '../../sandbox/sandbox.ts';
import type { SlackMessage } from '../../sandbox/slack/state.ts';
import { makeAwsClients } from '../../src/aws/clients.ts';
import type { Deps } from '../../src/deps.ts';
import { type Counts, countRoles, countTagged } from '../aws/count.ts';

/** The reporter's reply for steps that changed nothing (in place, already gone, checked). */
const UNCHANGED_REPLY = /already in place|already gone, nothing to delete|checked, nothing to change/;

export async function sandboxFor(name: string, opts: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ dir: `${process.cwd()}/.sandbox/test-${name}`, slackRateLimits: false, ...opts });
}

/** Reads moto directly, or (`gateway`) the sandbox's AWS endpoint as a user's AWS CLI would. */
function readerDeps(sb: Sandbox, via: 'moto' | 'gateway'): Deps {
  const endpoint = via === 'gateway' ? sb.cloud.awsEndpoint : sb.cloud.motoEndpoint;
  const credentials =
    via === 'gateway'
      ? { accessKeyId: sb.cloud.awsEnv.AWS_ACCESS_KEY_ID!, secretAccessKey: sb.cloud.awsEnv.AWS_SECRET_ACCESS_KEY! }
      : { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const aws = makeAwsClients({ endpoint, credentials, maxAttempts: 3 });
  return { spec: sb.spec, aws, log: pino({ level: 'silent' }) } as unknown as Deps;
}

export type MeshCounts = Counts & { roles: number };

/** Every tagged resource of the mesh, summed over the spec's regions, plus its IAM roles. */
export async function countMesh(sb: Sandbox, via: 'moto' | 'gateway' = 'moto'): Promise<MeshCounts> {
  const deps = readerDeps(sb, via);
  const regions = [...new Set(sb.spec.clusters.map((c) => c.region))];
  const per = await Promise.all(regions.map((r) => countTagged(deps, r, sb.spec.name)));
  const sum = per.reduce((a, b) => {
    const out = { ...a };
    for (const k of Object.keys(b) as Array<keyof Counts>) out[k] = (a[k] ?? 0) + b[k];
    return out;
  });
  // A peering can be seen from both of its regions: count distinct IDs.
  const peeringIds = new Set<string>();
  for (const region of regions) {
    const res = await deps.aws
      .ec2(region)
      .send(
        new DescribeVpcPeeringConnectionsCommand({ Filters: [{ Name: 'tag:meshops:mesh', Values: [sb.spec.name] }] }),
      );
    for (const p of res.VpcPeeringConnections ?? []) {
      const live = ['initiating-request', 'pending-acceptance', 'provisioning', 'active'].includes(
        p.Status?.Code ?? '',
      );
      if (live && p.Tags?.some((t) => t.Key === 'meshops:mesh' && t.Value === sb.spec.name))
        peeringIds.add(p.VpcPeeringConnectionId!);
    }
  }
  return { ...sum, peerings: peeringIds.size, roles: await countRoles(deps, sb.spec.name) };
}

/** What a complete mesh of n clusters (one per region) has. */
export function expectedCounts(n: number): MeshCounts {
  return {
    vpcs: n,
    subnets: 4 * n,
    igws: n,
    addresses: 2 * n,
    nats: 2 * n,
    routeTables: 3 * n,
    securityGroups: 0,
    peerings: (n * (n - 1)) / 2,
    clusters: n,
    nodegroups: n,
    roles: 2,
  };
}

export const ZERO: MeshCounts = {
  vpcs: 0,
  subnets: 0,
  igws: 0,
  addresses: 0,
  nats: 0,
  routeTables: 0,
  securityGroups: 0,
  peerings: 0,
  clusters: 0,
  nodegroups: 0,
  roles: 0,
};

/** A message as a person reads it: its text, every section of its blocks, and the files attached to it. */
export function seen(m: SlackMessage | undefined): string {
  if (!m) return '';
  const blocks = (m.blocks ?? []) as Array<{ text?: { text?: string } }>;
  return [
    m.text,
    ...blocks.map((b) => b.text?.text ?? ''),
    ...m.files.map((f) => f.bytes?.toString('utf8') ?? ''),
  ].join('\n');
}

/**
 * Steps under a job's anchor that did new work. A resumed run re-checks finished steps quickly ("already in
 * place"); those must not count, or a test killing the bot per N steps would kill faster than the job progresses.
 */
export function stepsOfNewWork(sb: Sandbox, anchorTs: string): number {
  return sb.slack
    .thread(CHANNEL, anchorTs)
    .filter((m) => m.text.startsWith(':white_check_mark:') && !UNCHANGED_REPLY.test(m.text)).length;
}
