// Deps and a runner for the AWS step tests: the real runner (src/steps/runner.ts) over real SDK clients.
import { pino } from 'pino';
import type { ClusterHost } from '../../sandbox/contracts.ts';
import { makeAwsClients } from '../../src/aws/clients.ts';
import { systemClock } from '../../src/clock.ts';
import type { ClusterSpec, MeshSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import type { RunReport } from '../../src/steps/runner.ts';
import { runPlan } from '../../src/steps/runner.ts';
import type { Step, StepContext, StepOutcome } from '../../src/steps/step.ts';

export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function cluster(name: string, region: string, vpcCidr: string, podCidr: string): ClusterSpec {
  return {
    name,
    region,
    vpcCidr,
    podCidr,
    nodeGroup: { instanceType: 'm5.xlarge', desiredSize: 3, minSize: 0, maxSize: 8, diskSizeGiB: 100 },
  };
}

export function meshSpec(name: string): MeshSpec {
  return {
    name,
    kubernetesVersion: '1.35',
    calico: {
      version: 'v3.31.7',
      variant: 'enterprise',
      encapsulation: 'VXLAN',
      manifestBaseUrl: 'http://127.0.0.1:1/manifests',
    },
    workloads: {
      namespace: 'default',
      replicas: 1,
      maxReplicas: 20,
      image: 'nginx:1.27',
      netshootImage: 'nicolaka/netshoot:v0.13',
    },
    clusters: [
      cluster('iad', 'us-east-1', '10.0.0.0/16', '192.168.1.0/24'),
      cluster('pdx', 'us-west-2', '10.1.0.0/16', '192.168.2.0/24'),
    ],
  };
}

export function testDeps(endpoint: string, spec: MeshSpec, opts: { maxAttempts?: number } = {}): Deps {
  return {
    spec,
    aws: makeAwsClients({ endpoint, credentials: TEST_CREDENTIALS, maxAttempts: opts.maxAttempts ?? 3 }),
    kube: {
      forCluster: async () => {
        throw new Error('no Kubernetes in the AWS tests');
      },
    },
    calico: {},
    clock: systemClock,
    log: pino({ level: 'silent' }),
    pollIntervalMs: 200,
  };
}

export function testContext(notes: string[] = []): StepContext {
  return {
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    clock: systemClock,
    note: (m) => notes.push(m),
    checkpoint: async () => {},
  };
}

export interface Ran {
  report: RunReport;
  outcomes: Map<string, StepOutcome>;
  /** True when any leaf reported a change. */
  changed: boolean;
  notes: string[];
}

/** Runs a tree through the product's runner and fails loudly with the first error if any leaf failed. */
export async function run(step: Step): Promise<Ran> {
  const notes: string[] = [];
  const report = await runPlan(step, {
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    clock: systemClock,
    checkpoint: async () => {},
    listener: { note: (_s, m) => notes.push(m) },
  });
  if (!report.ok) {
    const f = report.failure!;
    const err = f.error as Error;
    throw new Error(`step ${f.step.id} failed: ${err?.message ?? String(err)}`, { cause: err });
  }
  const outcomes = new Map<string, StepOutcome>();
  for (const r of report.results) if (r.status === 'done') outcomes.set(r.id, r.outcome);
  return { report, outcomes, changed: [...outcomes.values()].some((o) => o.changed), notes };
}

/** Runs a tree expecting a failure; returns the first error. */
export async function runExpectingFailure(step: Step): Promise<unknown> {
  const report = await runPlan(step, {
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    clock: systemClock,
    checkpoint: async () => {},
  });
  if (report.ok) throw new Error(`expected ${step.id} to fail, but it succeeded`);
  return report.failure!.error;
}

/** For AWS-only tests: EKS clusters get an endpoint that nothing serves, and no Kubernetes stand-in starts. */
export const NO_KUBERNETES: ClusterHost = {
  startCluster: async () => ({ endpoint: 'https://127.0.0.1:1', caPem: '' }),
  stopCluster: async () => undefined,
  setNodeGroup: () => undefined,
  deleteNodeGroup: () => undefined,
};
