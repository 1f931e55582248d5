// One ping from a cluster's netshoot pod, by name, as a person would type it there.
import type { ClusterSpec } from '../../config/spec-types.ts';
import type { Deps } from '../../deps.ts';
import { kubeFor, NETSHOOT } from '../kube/names.ts';
import { parsePing, type PingResult } from './parse.ts';

export const PING_COUNT = 3;
export const PING_EXEC_TIMEOUT_MS = 30_000;

export interface PingProbe {
  from: string;
  /** The cluster the target lives in. */
  to: string;
  target: string;
  result: PingResult;
  /** The raw output, for an excerpt. */
  output: string;
}

export async function pingFrom(deps: Deps, from: ClusterSpec, to: string, target: string): Promise<PingProbe> {
  const client = await kubeFor(deps, from);
  let output = '';
  let result: PingResult;
  try {
    const out = await client.exec({
      namespace: deps.spec.workloads.namespace,
      pod: NETSHOOT,
      command: ['ping', '-c', String(PING_COUNT), target],
      timeoutMs: PING_EXEC_TIMEOUT_MS,
    });
    output = `${out.stdout}${out.stderr}`;
    result = parsePing(target, output, out.exitCode);
  } catch (err) {
    const message = `could not run ping in ${from.name}/${NETSHOOT}: ${(err as Error).message}`;
    output = message;
    result = { target, ok: false, transmitted: 0, received: 0, lossPercent: 100, failure: 'error', message };
  }
  return { from: from.name, to, target, result, output };
}
