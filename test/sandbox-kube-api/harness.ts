// Starts Kubernetes API stand-ins for tests and talks to them only through real clients: client-node and kubectl.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createClusterHost } from '../../sandbox/kube/host.ts';
import type { ClusterPlacement, ExecHandler, InstallControllers, KubeObject } from './types.ts';

export const ADMIN_TOKEN = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5';

export function placement(name = 'iad', region = 'us-east-1'): ClusterPlacement {
  return {
    name,
    region,
    accountId: '111122223333',
    vpcId: 'vpc-1',
    subnetIds: ['subnet-1', 'subnet-2'],
    clusterSecurityGroupId: 'sg-1',
    kubernetesVersion: '1.34',
  };
}

/** Controllers stand-in that only answers exec (the real controllers are another module's). */
export function execOnlyControllers(exec: ExecHandler, calls?: string[]): InstallControllers {
  return () => ({
    setNodeGroup: (shape) => calls?.push(`setNodeGroup ${shape.name} ${shape.desiredSize}`),
    deleteNodeGroup: (name) => calls?.push(`deleteNodeGroup ${name}`),
    exec,
    stop: () => calls?.push('stop'),
  });
}

export const echoExec: ExecHandler = async ({ command }) => {
  if (command[0] === 'ping')
    return {
      stdout: `PING ${command[command.length - 1]}: 56 data bytes\n64 bytes: icmp_seq=1 ttl=63 time=64.2 ms\n`,
      stderr: '',
      exitCode: 0,
    };
  if (command[0] === 'false') return { stdout: '', stderr: 'failed on purpose\n', exitCode: 3 };
  return { stdout: `${command.join(' ')}\n`, stderr: '', exitCode: 0 };
};

export async function startSandbox(opts: { installControllers?: InstallControllers; names?: string[] } = {}) {
  const verifierCalls: string[] = [];
  const host = createClusterHost({
    verifyEksToken: async (token, clusterName) => {
      verifierCalls.push(clusterName);
      return token === ADMIN_TOKEN
        ? { ok: true, arn: 'arn:aws:iam::111122223333:user/admin' }
        : { ok: false, reason: 'signature mismatch' };
    },
    ...(opts.installControllers ? { installControllers: opts.installControllers } : {}),
    env: { profile: { name: 'fast' } as never, motoEndpoint: 'http://127.0.0.1:9' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'kube-api-test-'));
  const started = await host.startCluster(placement(opts.names?.[0] ?? 'iad'));
  const handle = host.find('us-east-1', opts.names?.[0] ?? 'iad')!;
  return {
    host,
    handle,
    endpoint: started.endpoint,
    caPem: started.caPem,
    verifierCalls,
    dir,
    kubeConfig(token = ADMIN_TOKEN): k8s.KubeConfig {
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: [
          {
            name: 'iad',
            server: started.endpoint,
            caData: Buffer.from(started.caPem).toString('base64'),
            skipTLSVerify: false,
          },
        ],
        users: [{ name: 'u', token }],
        contexts: [{ name: 'iad', cluster: 'iad', user: 'u' }],
        currentContext: 'iad',
      });
      return kc;
    },
    kubeconfigFile(token = ADMIN_TOKEN, name = 'kubeconfig'): string {
      const file = join(dir, name);
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          `- name: iad`,
          `  cluster: {server: "${started.endpoint}", certificate-authority-data: "${Buffer.from(started.caPem).toString('base64')}"}`,
          'users:',
          `- name: u`,
          `  user: {token: "${token}"}`,
          'contexts:',
          '- name: iad',
          '  context: {cluster: iad, user: u}',
          'current-context: iad',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      return file;
    },
    async stop(): Promise<void> {
      await host.stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A given kubectl release (the machine image carries 1.27 to 1.33 beside the default one). */
export function kubectlRelease(minor: string): string {
  return `/usr/lib/google-cloud-sdk/bin/kubectl.${minor}`;
}

export function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; bin?: string; onStdout?: (text: string) => void } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      opts.bin ?? 'kubectl',
      ['--kubeconfig', kubeconfig, '--request-timeout=20s', ...args],
      {
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, HOME: join(kubeconfig, '..'), KUBECACHEDIR: join(kubeconfig, '..', 'cache') },
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    // For long-running commands (get -w): what they printed so far.
    if (opts.onStdout) child.stdout?.on('data', (c: Buffer) => opts.onStdout!(String(c)));
  });
}

/** The Status body of a failed client-node call. */
export function statusOf(err: unknown): {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ reason?: string; field?: string; message?: string }> };
} {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') return JSON.parse(body) as ReturnType<typeof statusOf>;
  return (body ?? {}) as ReturnType<typeof statusOf>;
}

export async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

export function runningPod(name: string, namespace = 'default', extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      containers: [{ name: 'main', image: 'nicolaka/netshoot', command: ['sleep', 'infinity'] }],
      nodeName: 'ip-10-0-1-10.ec2.internal',
    },
    status: {
      phase: 'Running',
      podIP: '192.168.1.10',
      containerStatuses: [{ name: 'main', ready: true, restartCount: 0 }],
    },
    ...extra,
  };
}
