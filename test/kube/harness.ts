// A two-cluster mesh in the sandbox for the Kubernetes-side tests: the AWS side is built by the product's own
// AWS steps (jobs/up/aws), then the test drives the Kubernetes steps one at a time through the real runner.
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { controlPlaneStep, nodeGroupStep, scaleNodeGroupStep, securityRulesStep } from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { peeringStep } from '../../jobs/up/aws/peering.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import { makeAwsClients } from '../../src/aws/clients.ts';
import { systemClock } from '../../src/clock.ts';
import type { CalicoVariant, ClusterSpec, MeshSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { makeKubeAccess } from '../../src/kube/access.ts';
import { runPlan } from '../../src/steps/runner.ts';
import { parallel, type Step, type StepOutcome, sequential } from '../../src/steps/step.ts';

export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface Mesh {
  cloud: Cloud;
  deps: Deps;
  spec: MeshSpec;
  iad: ClusterSpec;
  pdx: ClusterSpec;
  /** Everything the product logged (to check no secret leaks into logs). */
  logText: () => string;
  notes: string[];
}

export function meshSpec(cloud: Cloud, variant: CalicoVariant, name = 'demo'): MeshSpec {
  const ng = { instanceType: 'm5.xlarge', desiredSize: 2, minSize: 0, maxSize: 8, diskSizeGiB: 100 };
  const enterprise = variant !== 'oss';
  return {
    name,
    kubernetesVersion: '1.34',
    calico: {
      version: enterprise ? 'v3.23.1' : 'v3.31.7',
      variant,
      encapsulation: 'VXLAN',
      manifestBaseUrl: enterprise ? cloud.manifestBaseUrl.enterprise : cloud.manifestBaseUrl.oss,
      flowLogs: { flushIntervalSeconds: 15 },
    },
    workloads: {
      namespace: 'default',
      replicas: 1,
      maxReplicas: 20,
      image: 'public.ecr.aws/nginx/nginx:1.27',
      netshootImage: 'ghcr.io/nicolaka/netshoot:v0.13',
    },
    clusters: [
      { name: 'iad', region: 'us-east-1', vpcCidr: '10.0.0.0/16', podCidr: '192.168.1.0/24', nodeGroup: ng },
      { name: 'pdx', region: 'us-west-2', vpcCidr: '10.1.0.0/16', podCidr: '192.168.2.0/24', nodeGroup: ng },
    ],
  };
}

const sandboxFile = (p: string) => readFileSync(new URL(`../../sandbox/credentials/${p}`, import.meta.url), 'utf8');

export async function startMesh(variant: CalicoVariant): Promise<Mesh> {
  return meshIn(await startCloud({ profile: 'fast' }), variant);
}

/** Another mesh in the same sandbox cloud (its own name, so its own VPCs, clusters and roles). */
export function meshIn(cloud: Cloud, variant: CalicoVariant, name = 'demo', clusterCount = 2): Mesh {
  const base = meshSpec(cloud, variant, name);
  const spec = { ...base, clusters: base.clusters.slice(0, clusterCount) };
  const logChunks: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write: (c, _e, cb) => {
        logChunks.push(String(c));
        cb();
      },
    }),
  );
  const aws = makeAwsClients({ endpoint: cloud.awsEndpoint, credentials: CREDENTIALS, maxAttempts: 3 });
  const deps: Deps = {
    spec,
    aws,
    kube: makeKubeAccess(aws, spec, { credentials: CREDENTIALS, stsEndpoint: cloud.awsEndpoint }),
    calico:
      variant === 'enterprise'
        ? { enterpriseLicense: sandboxFile('license.yaml'), enterprisePullSecret: sandboxFile('pull-secret.json') }
        : {},
    clock: systemClock,
    log,
    pollIntervalMs: 50,
  };
  return {
    cloud,
    deps,
    spec,
    iad: spec.clusters[0],
    pdx: spec.clusters[1] ?? spec.clusters[0],
    logText: () => logChunks.join(''),
    notes: [],
  };
}

/** The AWS side up to node-less control planes (what the CNI swap runs against, as in Tigera's EKS guide). */
export function awsPlan(deps: Deps): Step {
  const [a, b] = deps.spec.clusters;
  return sequential('aws', 'AWS side', [
    iamStep(deps),
    parallel(
      'network',
      'networks',
      deps.spec.clusters.map((c) => networkStep(deps, c)),
    ),
    ...(b ? [peeringStep(deps, a, b)] : []),
    parallel(
      'control-planes',
      'control planes',
      deps.spec.clusters.map((c) => controlPlaneStep(deps, c)),
    ),
    parallel(
      'node-setup',
      'security rules',
      deps.spec.clusters.map((c) => securityRulesStep(deps, c)),
    ),
  ]);
}

/** After the CNI swap: each node group at its size (and checked at it), so the nodes join with Calico. */
export function nodeGroupsPlan(deps: Deps): Step {
  return parallel(
    'node-groups',
    'node groups',
    deps.spec.clusters.map((c) =>
      sequential(`node-groups/${c.name}`, c.name, [nodeGroupStep(deps, c), scaleNodeGroupStep(deps, c)]),
    ),
  );
}

export interface Ran {
  ok: boolean;
  outcomes: Map<string, StepOutcome>;
  error?: unknown;
}

export async function run(mesh: Mesh, step: Step): Promise<Ran> {
  const report = await runPlan(step, {
    signal: new AbortController().signal,
    log: mesh.deps.log,
    clock: systemClock,
    checkpoint: async () => {},
    listener: { note: (_s, m) => mesh.notes.push(m) },
  });
  const outcomes = new Map<string, StepOutcome>();
  for (const r of report.results) if (r.status === 'done') outcomes.set(r.id, r.outcome);
  return { ok: report.ok, outcomes, error: report.failure?.error };
}

/** Runs and throws the first failure with its step, so a broken test says where. */
export async function runOk(mesh: Mesh, step: Step): Promise<Map<string, StepOutcome>> {
  const r = await run(mesh, step);
  if (!r.ok)
    throw new Error(`plan ${step.id} failed: ${(r.error as Error)?.message ?? String(r.error)}`, { cause: r.error });
  return r.outcomes;
}
