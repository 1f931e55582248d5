// A small in-memory stand-in for the EC2, EKS and IAM clients: each test gives the handlers it needs, keyed by
// command name ("CreateVpc"), over state it owns. No network, no moto, no Redis; time is a fake clock that
// moves only when a wait sleeps, so a 10-minute wait runs in microseconds.
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { pino } from 'pino';
import type { Clock } from '../../../src/clock.ts';
import type { ClusterSpec, MeshSpec } from '../../../src/config/spec-types.ts';
import type { AwsClients, Deps } from '../../../src/deps.ts';
import type { StepContext } from '../../../src/steps/step.ts';

export type Handler = (input: Record<string, any>, region: string) => unknown;
export type Handlers = Record<string, Handler>;

export interface Call {
  service: 'ec2' | 'eks' | 'iam';
  region: string;
  name: string;
  input: Record<string, any>;
}

/** An error as the SDK builds it from AWS's answer: `name`, `$fault`, `$metadata.httpStatusCode`. */
export function awsError(name: string, message = name, status = 400): Error {
  return new EC2ServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

export function fakeClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

export interface FakeAws {
  aws: AwsClients;
  calls: Call[];
  /** The calls of one command, in order. */
  called(name: string): Call[];
}

export function fakeAws(handlers: { ec2?: Handlers; eks?: Handlers; iam?: Handlers }): FakeAws {
  const calls: Call[] = [];
  const client = (service: Call['service'], region: string) => ({
    async send(command: { constructor: { name: string }; input: Record<string, any> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ service, region, name, input: command.input });
      const h = handlers[service]?.[name];
      if (!h) throw new Error(`fake ${service}: no handler for ${name}`);
      return structuredClone(await h(command.input, region));
    },
  });
  const aws = {
    ec2: (region: string) => client('ec2', region),
    eks: (region: string) => client('eks', region),
    iam: () => client('iam', 'us-east-1'),
  } as unknown as AwsClients;
  return { aws, calls, called: (name) => calls.filter((c) => c.name === name) };
}

export function cluster(name: string, region: string, vpcCidr: string): ClusterSpec {
  return {
    name,
    region,
    vpcCidr,
    podCidr: '192.168.1.0/24',
    nodeGroup: { instanceType: 'm5.xlarge', desiredSize: 3, minSize: 0, maxSize: 8, diskSizeGiB: 100 },
  };
}

export function spec(name = 'm'): MeshSpec {
  return {
    name,
    kubernetesVersion: '1.34',
    calico: {
      version: 'v3.31.7',
      variant: 'enterprise',
      encapsulation: 'VXLAN',
      manifestBaseUrl: 'http://127.0.0.1:1',
    },
    workloads: { namespace: 'default', replicas: 1, maxReplicas: 20, image: 'nginx', netshootImage: 'netshoot' },
    clusters: [cluster('iad', 'us-east-1', '10.0.0.0/16'), cluster('pdx', 'us-west-2', '10.1.0.0/16')],
  };
}

export function fakeDeps(aws: AwsClients, clock: Clock = fakeClock(), meshSpec: MeshSpec = spec()): Deps {
  return {
    spec: meshSpec,
    aws,
    kube: { forCluster: async () => Promise.reject(new Error('no Kubernetes in unit tests')) },
    calico: {},
    clock,
    log: pino({ level: 'silent' }),
    pollIntervalMs: 1000,
  };
}

export function fakeContext(clock: Clock, notes: string[] = []): StepContext {
  return {
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    clock,
    note: (m) => notes.push(m),
    checkpoint: async () => {},
  };
}

export const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
