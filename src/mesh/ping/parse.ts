// Reads what `ping -c N <name>` printed (iputils, as in netshoot; busybox's summary too) into numbers.

/** `mtu`: small packets answered, one as large as the pod MTU (fragmentation forbidden) did not. */
export type PingFailure = 'resolve' | 'no-reply' | 'mtu' | 'error';

export interface PingResult {
  target: string;
  /** At least one reply came back. */
  ok: boolean;
  ip?: string;
  transmitted: number;
  received: number;
  lossPercent: number;
  rttMs?: { min: number; avg: number; max: number };
  /** Why it failed: the name did not resolve, no reply came back, or something else (see message). */
  failure?: PingFailure;
  message?: string;
  /** The pod MTU a full-size packet was sent at (`ping -M do -s <mtu - 28>`), when one was sent. */
  mtu?: number;
}

const RESOLVE_ERRORS =
  /Name or service not known|Temporary failure in name resolution|bad address|unknown host|No address associated/i;

export function parsePing(target: string, output: string, exitCode?: number): PingResult {
  const ip = /^PING \S+ \(([^)]+)\)/m.exec(output)?.[1];
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+\d+ errors)?, ([\d.]+)% packet loss/.exec(
    output,
  );
  const rtt = /(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(output);
  const transmitted = stats ? Number(stats[1]) : 0;
  const received = stats ? Number(stats[2]) : 0;
  const result: PingResult = {
    target,
    ok: received > 0,
    ip,
    transmitted,
    received,
    lossPercent: stats ? Number(stats[3]) : 100,
    rttMs: rtt ? { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]) } : undefined,
  };
  if (result.ok) return result;
  const firstError = output
    .split('\n')
    .find((l) => /^ping: /.test(l))
    ?.trim();
  if (RESOLVE_ERRORS.test(output))
    return { ...result, failure: 'resolve', message: firstError ?? `${target} does not resolve` };
  if (stats) return { ...result, failure: 'no-reply', message: `${transmitted} packets transmitted, 0 received` };
  return {
    ...result,
    failure: 'error',
    message: firstError ?? (output.trim().split('\n')[0] || `ping exited with ${exitCode ?? '?'}`),
  };
}

/** One cell of a matrix: "65.3 ms", "65.3 ms (33% loss)", "no reply", "no DNS". */
export function pingCell(r: PingResult | undefined): string {
  if (!r) return '-';
  if (r.ok) {
    const rtt = r.rttMs ? `${r.rttMs.avg.toFixed(1)} ms` : 'reply';
    return r.lossPercent > 0 ? `${rtt} (${r.lossPercent}% loss)` : rtt;
  }
  if (r.failure === 'resolve') return 'FAIL: name does not resolve';
  if (r.failure === 'no-reply') return 'FAIL: no reply (100% loss)';
  if (r.failure === 'mtu') return `FAIL: ${r.mtu ?? 'full'}-byte packet lost (MTU)`;
  return `FAIL: ${r.message ?? 'error'}`;
}
