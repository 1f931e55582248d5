// Issue 3: what the whole sandbox costs. Run on demand: `npm run bench -- sandbox [--runs 2]`.
//   1. start-up: `startCloud` alone (moto, Kubernetes host, gateway, warm-up) and `startSandbox` (Redis, Slack
//      stand-in, cloud, the bot ready), start to resolved;
//   2. memory of all its processes together (VmRSS): this process (gateway, Kubernetes and Slack stand-ins), the
//      bot child, moto's process group and redis-server;
//   3. then 4 simulated EKS clusters with 8 nodes and a 20-pod StatefulSet each, built directly through the AWS
//      gateway (SDK) and the clusters' API servers (@kubernetes/client-node with an EKS token), all Ready, and the
//      memory again. Target: under 500 MB in all.
import { performance } from 'node:perf_hooks';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { SANDBOX_CREDENTIALS } from '../sandbox/aws/identity.ts';
import { startCloud } from '../sandbox/cloud.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { mintEksToken } from '../src/kube/eks-token.ts';
import {
  arg,
  benchSandbox,
  loadCaveat,
  median,
  type SandboxMemory,
  sandboxMemory,
  sec,
  sleep,
  table,
} from './lib-bench.ts';

const RUNS = arg('runs', 2);
const CLUSTERS = arg('clusters', 4);
const NODES = arg('nodes', 8);
const PODS = arg('pods', 20);
const REGIONS = ['us-east-1', 'us-west-2', 'eu-central-1', 'ap-southeast-1', 'eu-west-1', 'ap-northeast-1'];
const TARGET_MB = 500;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** One EKS cluster with a node group of `NODES`, through the gateway as any AWS client would. */
async function buildCluster(sb: Sandbox, i: number, roleArn: string): Promise<KubeConfig> {
  const region = REGIONS[i % REGIONS.length]!;
  const name = `bench-${i}`;
  const base = { region, endpoint: sb.cloud.awsEndpoint, credentials: SANDBOX_CREDENTIALS };
  const ec2 = new EC2Client(base);
  const eks = new EKSClient(base);
  try {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${100 + i}.0.0/16` }))).Vpc!.VpcId!;
    const subnets: string[] = [];
    for (const [k, az] of ['a', 'b'].entries()) {
      subnets.push(
        (
          await ec2.send(
            new CreateSubnetCommand({
              VpcId: vpc,
              CidrBlock: `10.${100 + i}.${k * 16}.0/20`,
              AvailabilityZone: `${region}${az}`,
            }),
          )
        ).Subnet!.SubnetId!,
      );
    }
    await eks.send(new CreateClusterCommand({ name, roleArn, resourcesVpcConfig: { subnetIds: subnets } }));
    const cluster = await until(`cluster ${name} ACTIVE`, 120_000, async () => {
      const c = (await eks.send(new DescribeClusterCommand({ name }))).cluster;
      return c?.status === 'ACTIVE' && c.endpoint ? c : undefined;
    });
    await eks.send(
      new CreateNodegroupCommand({
        clusterName: name,
        nodegroupName: 'ng',
        nodeRole: roleArn,
        subnets,
        scalingConfig: { minSize: 0, maxSize: NODES, desiredSize: NODES },
        instanceTypes: ['m5.xlarge'],
      }),
    );
    await until(`node group of ${name} ACTIVE`, 120_000, async () =>
      (await eks.send(new DescribeNodegroupCommand({ clusterName: name, nodegroupName: 'ng' }))).nodegroup?.status ===
      'ACTIVE'
        ? true
        : undefined,
    );
    const token = await mintEksToken({
      clusterName: name,
      region,
      credentials: SANDBOX_CREDENTIALS,
      stsEndpoint: sb.cloud.awsEndpoint,
    });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name, server: cluster.endpoint!, caData: cluster.certificateAuthority!.data!, skipTLSVerify: false },
      ],
      users: [{ name: 'bench', token: token.token }],
      contexts: [{ name, cluster: name, user: 'bench' }],
      currentContext: name,
    });
    return kc;
  } finally {
    ec2.destroy();
    eks.destroy();
  }
}

/** A StatefulSet of `PODS` pods; resolves when all are Ready and every node is Ready. */
async function fillCluster(kc: KubeConfig): Promise<{ nodes: number; pods: number }> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const labels = { app: 'bench-web' };
  await core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: { name: 'bench-web' },
      spec: { clusterIP: 'None', selector: labels, ports: [{ name: 'http', port: 80 }] },
    },
  });
  await apps.createNamespacedStatefulSet({
    namespace: 'default',
    body: {
      metadata: { name: 'bench-web' },
      spec: {
        serviceName: 'bench-web',
        replicas: PODS,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] }] },
        },
      },
    },
  });
  const ready = (conds?: Array<{ type: string; status: string }>) =>
    conds?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return until('nodes and pods Ready', 180_000, async () => {
    const nodes = (await core.listNode()).items.filter((n) => ready(n.status?.conditions)).length;
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=bench-web' })).items.filter(
      (p) => ready(p.status?.conditions),
    ).length;
    return nodes >= NODES && pods >= PODS ? { nodes, pods } : undefined;
  });
}

console.log(
  `bench sandbox: start-up x${RUNS}, then ${CLUSTERS} clusters x ${NODES} nodes x ${PODS} pods (fast profile)`,
);
console.log(loadCaveat());

// ---- 1: startCloud alone ----
const cloudMs: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const cloud = await startCloud({ profile: 'fast', warmUp: true });
  cloudMs.push(performance.now() - t0);
  await cloud.stop();
}

// ---- 1: the whole sandbox; 2: its memory ----
const sandboxMs: number[] = [];
for (let r = 0; r < RUNS - 1; r++) {
  const t0 = performance.now();
  const sb = await benchSandbox('sandbox');
  sandboxMs.push(performance.now() - t0);
  await sb.stop();
}
const t0 = performance.now();
const sb = await benchSandbox('sandbox');
sandboxMs.push(performance.now() - t0);
let exitCode = 0;
try {
  await sleep(3_000); // let start-up garbage settle
  const idle = sandboxMemory(sb);

  // ---- 3: 4 x 8 x 20 ----
  const t1 = performance.now();
  const iam = new IAMClient({ region: 'us-east-1', endpoint: sb.cloud.awsEndpoint, credentials: SANDBOX_CREDENTIALS });
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: ['eks.amazonaws.com', 'ec2.amazonaws.com'] }, Action: 'sts:AssumeRole' },
    ],
  });
  const role = (
    await iam.send(new CreateRoleCommand({ RoleName: 'bench-sandbox-role', AssumeRolePolicyDocument: trust }))
  ).Role!.Arn!;
  iam.destroy();
  const kcs = await Promise.all(Array.from({ length: CLUSTERS }, (_, i) => buildCluster(sb, i, role)));
  const clustersMs = performance.now() - t1;
  const filled = await Promise.all(kcs.map(fillCluster));
  const filledMs = performance.now() - t1;
  await sleep(3_000);
  const loaded = sandboxMemory(sb);
  const simulated = sb.cloud.kube?.clusters().length ?? 0;

  console.log('\nstart-up, start to resolved');
  console.log(
    table([
      ['what', 'runs', 'median', 'min', 'max'],
      [
        'startCloud (moto, gateway, Kubernetes host, warm-up)',
        RUNS,
        sec(median(cloudMs)),
        sec(Math.min(...cloudMs)),
        sec(Math.max(...cloudMs)),
      ],
      [
        'startSandbox (+ Redis, Slack stand-in, bot ready)',
        RUNS,
        sec(median(sandboxMs)),
        sec(Math.min(...sandboxMs)),
        sec(Math.max(...sandboxMs)),
      ],
    ]),
  );
  const row = (label: string, m: SandboxMemory) =>
    [label, m.benchMb, m.botMb, m.motoMb, m.redisMb, m.totalMb].map((v) =>
      typeof v === 'number' ? `${v.toFixed(0)} MB` : v,
    );
  console.log(`\nmemory (VmRSS) of the sandbox's processes`);
  console.log(
    table([
      ['state', 'this process (gateway, kube + Slack stand-ins)', 'bot', 'moto', 'redis', 'total'],
      row('idle, no cluster', idle),
      row(`${simulated} clusters; Ready: ${filled.map((f) => `${f.nodes}/${f.pods}`).join(', ')} nodes/pods`, loaded),
    ]),
  );
  console.log(
    `total with ${CLUSTERS}x${NODES}x${PODS}: ${loaded.totalMb.toFixed(0)} MB (target < ${TARGET_MB} MB: ${loaded.totalMb < TARGET_MB ? 'met' : 'NOT met'})`,
  );
  console.log(
    `per simulated cluster (${NODES} nodes, ${PODS} pods): +${((loaded.totalMb - idle.totalMb) / CLUSTERS).toFixed(0)} MB; this process also holds the benchmark's own SDK and Kubernetes clients`,
  );
  console.log(
    `clusters ACTIVE with node groups in ${sec(clustersMs, 1)}; all nodes and pods Ready after ${sec(filledMs, 1)}`,
  );
  console.log(JSON.stringify({ bench: 'sandbox', cloudMs, sandboxMs, idle, loaded, clustersMs, filledMs }));
} catch (err) {
  console.error(`bench sandbox: ${(err as Error).stack ?? (err as Error).message}`);
  exitCode = 1;
} finally {
  await sb.stop();
}
process.exit(exitCode);
