// One ping from a cluster's netshoot pod, by name, as a person would type it there: a few small packets, then one
// as large as the pod's MTU with fragmentation forbidden (`ping -M do -s <mtu - 28>`), because `ping -c 1` alone
// never shows a path that drops large packets (8500 bytes over an inter-Region peering).
import type { ClusterSpec } from '../../config/spec-types.ts';
import type { Deps } from '../../deps.ts';
import type { KubeApi } from '../../kube/client.ts';
import { podMtu } from '../kube/calico.ts';
import { kubeFor, NETSHOOT } from '../kube/names.ts';
import { type PingResult, parsePing } from './parse.ts';

export const PING_COUNT = 3;
/**
 * Seconds between the small packets (iputils' default, 1 s, waits 2 s in all): the shortest that older iputils
 * allow a user who is not root. Current iputils allow 2 ms (MIN_USER_INTERVAL_MS in ping/ping.c); 0.2 s works with
 * either, whatever the netshoot image ships.
 */
const PING_INTERVAL_S = '0.2';
export const PING_EXEC_TIMEOUT_MS = 30_000;
/** IPv4 (20) and ICMP (8) headers: `-s` is the payload, the packet is 28 bytes more. */
const IP_ICMP_HEADERS = 28;

export interface PingProbe {
  from: string;
  /** The cluster the target lives in. */
  to: string;
  target: string;
  result: PingResult;
  /** The raw output, for an excerpt. */
  output: string;
}

async function runPing(client: KubeApi, deps: Deps, from: string, args: string[], target: string) {
  try {
    const out = await client.exec({
      namespace: deps.spec.workloads.namespace,
      pod: NETSHOOT,
      command: ['ping', ...args, target],
      timeoutMs: PING_EXEC_TIMEOUT_MS,
    });
    const output = `${out.stdout}${out.stderr}`;
    return { output, result: parsePing(target, output, out.exitCode) };
  } catch (err) {
    const message = `could not run ping in ${from}/${NETSHOOT}: ${(err as Error).message}`;
    const result: PingResult = {
      target,
      ok: false,
      transmitted: 0,
      received: 0,
      lossPercent: 100,
      failure: 'error',
      message,
    };
    return { output: message, result };
  }
}

export async function pingFrom(deps: Deps, from: ClusterSpec, to: string, target: string): Promise<PingProbe> {
  const client = await kubeFor(deps, from);
  // Side by side, as two terminals would: the large packet's answer counts only when the small ones were answered.
  const largePing = async () => {
    const { mtu } = await podMtu(client);
    const args = ['-c', '1', '-M', 'do', '-s', String(mtu - IP_ICMP_HEADERS)];
    return { mtu, ...(await runPing(client, deps, from.name, args, target)) };
  };
  const largeRun = largePing();
  largeRun.catch(() => {}); // its failure matters only when the small ones were answered (awaited then)
  const small = await runPing(client, deps, from.name, ['-c', String(PING_COUNT), '-i', PING_INTERVAL_S], target);
  if (!small.result.ok) return { from: from.name, to, target, result: small.result, output: small.output };
  const large = await largeRun;
  const { mtu } = large;
  const output = `${small.output}\n${large.output}`;
  if (large.result.ok) return { from: from.name, to, target, result: { ...small.result, mtu }, output };
  const why = large.result.message?.startsWith('ping: local error') ? large.result.message : 'no reply';
  const result: PingResult = {
    ...small.result,
    ok: false,
    failure: 'mtu',
    mtu,
    message: `small packets answered, but one ${mtu}-byte packet with fragmentation forbidden did not (${why})`,
  };
  return { from: from.name, to, target, result, output };
}
