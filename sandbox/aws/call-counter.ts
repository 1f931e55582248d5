// Counts calls per service and action ('ec2:CreateVpc'), for benchmarks of API calls per resource; and, when
// asked, keeps a log of each call's parameters, which the IAM policy test maps to resource ARNs and tags.
import type { AwsRequest } from './request-info.ts';

/** One AWS call as the gateway received it (before faults), with what IAM would authorize it on. */
export interface LoggedCall {
  service: string;
  region: string;
  action: string;
  method: string;
  pathname: string;
  /** Query-protocol parameters (EC2, IAM, STS: form body or URL query). */
  params: Record<string, string>;
  /** REST-JSON body (EKS), parsed; undefined when empty or not JSON. */
  body?: unknown;
  presigned: boolean;
}

export interface CallCounter {
  record(service: string, action: string, req?: AwsRequest): void;
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  /** Start (or stop) keeping the call log; starting clears it. */
  keepLog(on: boolean): void;
  log(): LoggedCall[];
}

export function createCallCounter(): CallCounter {
  let counts = new Map<string, number>();
  let log: LoggedCall[] | undefined;
  return {
    record(service, action, req) {
      const key = `${service}:${action || 'unknown'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (log && req) log.push(logged(req));
    },
    counts: () => Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b))),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset() {
      counts = new Map();
    },
    keepLog(on) {
      log = on ? [] : undefined;
    },
    log: () => [...(log ?? [])],
  };
}

function logged(req: AwsRequest): LoggedCall {
  const params: Record<string, string> = {};
  for (const [k, v] of req.query) params[k] = v;
  for (const [k, v] of req.form ?? []) params[k] = v;
  let body: unknown;
  if (!req.form && req.body.length) {
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      body = undefined;
    }
  }
  return {
    service: req.service,
    region: req.region,
    action: req.action,
    method: req.method,
    pathname: req.pathname,
    params,
    body,
    presigned: req.presigned,
  };
}
