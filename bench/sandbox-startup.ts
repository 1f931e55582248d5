// How long the sandbox cloud takes to be ready, and what it costs in memory (this Node process plus moto's
// process group), empty and with two EKS clusters (iad, pdx) ACTIVE with a node group each.
//   node bench/sandbox-startup.ts [--runs 3] [--clusters 2]
import { readdirSync, readFileSync } from 'node:fs';
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
import { type Cloud, startCloud } from '../sandbox/cloud.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('runs', 3);
const clusterCount = arg('clusters', 2);
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];

/** Resident memory of every process in a process group, from /proc (Linux). */
function groupRssMb(pgid: number): number {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // field 5 (pgrp), after pid and (comm)
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      kb += rss ? Number(rss[1]) : 0;
    } catch {
      // The process ended while we looked.
    }
  }
  return kb / 1024;
}

const nodeRssMb = () => process.memoryUsage().rss / 1024 / 1024;

async function activeClusters(cloud: Cloud, n: number): Promise<number> {
  const t0 = performance.now();
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const iam = new IAMClient({ region: 'us-east-1', endpoint: cloud.awsEndpoint, credentials });
  const role = await iam.send(
    new CreateRoleCommand({ RoleName: `bench-${Date.now()}`, AssumeRolePolicyDocument: '{}' }),
  );
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const region = REGIONS[i % REGIONS.length];
      const name = `bench-${i}`;
      const ec2 = new EC2Client({ region, endpoint: cloud.awsEndpoint, credentials });
      const eks = new EKSClient({ region, endpoint: cloud.awsEndpoint, credentials });
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${i}.0.0/16` }))).Vpc!.VpcId!;
      const subnets = await Promise.all(
        ['a', 'b'].map(
          async (az, k) =>
            (
              await ec2.send(
                new CreateSubnetCommand({
                  VpcId: vpc,
                  CidrBlock: `10.${i}.${k * 16}.0/20`,
                  AvailabilityZone: `${region}${az}`,
                }),
              )
            ).Subnet!.SubnetId!,
        ),
      );
      await eks.send(
        new CreateClusterCommand({ name, roleArn: role.Role!.Arn!, resourcesVpcConfig: { subnetIds: subnets } }),
      );
      while ((await eks.send(new DescribeClusterCommand({ name }))).cluster?.status !== 'ACTIVE') await sleep(100);
      await eks.send(
        new CreateNodegroupCommand({
          clusterName: name,
          nodegroupName: 'ng',
          nodeRole: role.Role!.Arn!,
          subnets,
          scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 3 },
          instanceTypes: ['m5.xlarge'],
        }),
      );
      while (
        (await eks.send(new DescribeNodegroupCommand({ clusterName: name, nodegroupName: 'ng' }))).nodegroup?.status !==
        'ACTIVE'
      )
        await sleep(100);
    }),
  );
  return performance.now() - t0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const results: Array<Record<string, number>> = [];
for (let run = 0; run < runs; run++) {
  const marks: Record<string, number> = {};
  const t0 = performance.now();
  const cloud = await startCloud({
    profile: 'fast',
    log: (line) => {
      if (line.startsWith('moto listening')) marks.motoReadyMs = performance.now() - t0;
      if (line.startsWith('aws gateway listening')) marks.gatewayReadyMs = performance.now() - t0;
    },
  });
  try {
    const readyMs = performance.now() - t0;
    const empty = { nodeRssMb: nodeRssMb(), motoRssMb: groupRssMb(cloud.motoPid) };
    const clustersMs = await activeClusters(cloud, clusterCount);
    const busy = { nodeRssMb: nodeRssMb(), motoRssMb: groupRssMb(cloud.motoPid) };
    results.push({
      ...marks,
      readyMs,
      emptyNodeRssMb: empty.nodeRssMb,
      emptyMotoRssMb: empty.motoRssMb,
      clustersActiveMs: clustersMs,
      busyNodeRssMb: busy.nodeRssMb,
      busyMotoRssMb: busy.motoRssMb,
      apiCalls: cloud.calls.total(),
    });
    console.log(
      `run ${run + 1}/${runs}: ready in ${(readyMs / 1000).toFixed(1)} s; ${clusterCount} cluster(s) ACTIVE with node groups in ${(clustersMs / 1000).toFixed(1)} s`,
    );
  } finally {
    await cloud.stop();
  }
}

const median = (k: string) => {
  const v = results.map((r) => r[k]).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
};
const keys = Object.keys(results[0]);
console.log('\nmedian of', runs, 'run(s), profile fast:');
for (const k of keys) console.log(`  ${k.padEnd(18)} ${median(k).toFixed(k.endsWith('Mb') ? 1 : 0)}`);
console.log(
  JSON.stringify({
    bench: 'sandbox-startup',
    runs,
    clusters: clusterCount,
    median: Object.fromEntries(keys.map((k) => [k, Math.round(median(k))])),
    results,
  }),
);
