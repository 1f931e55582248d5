// The sandbox's own control API on the gateway (never part of AWS's surface):
//   GET|POST|DELETE /_sandbox/faults   POST {service, rate, kind, actions?} and/or {deny: ['eks:CreateCluster']}
//                                      and/or {noCapacity: ['m5.xlarge']} (node groups that grow go DEGRADED)
//   GET|DELETE      /_sandbox/calls    call counts per service:action
import type { HttpReply } from './aws-errors.ts';
import type { CallCounter } from './call-counter.ts';
import type { FaultRule, Faults } from './faults.ts';

export function isControlPath(pathname: string): boolean {
  return pathname.startsWith('/_sandbox/');
}

export function handleControl(
  faults: Faults,
  calls: CallCounter,
  method: string,
  pathname: string,
  body: Buffer,
): HttpReply {
  const ok = (value: unknown): HttpReply => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  const bad = (status: number, message: string): HttpReply => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message }),
  });
  if (pathname === '/_sandbox/faults') {
    if (method === 'GET') return ok(faults.state());
    if (method === 'DELETE') {
      faults.clear();
      return ok(faults.state());
    }
    if (method === 'POST') {
      try {
        const input = JSON.parse(body.toString('utf8') || '{}') as Partial<FaultRule> & {
          deny?: string[];
          noCapacity?: string[];
        };
        if (input.deny) faults.deny(input.deny);
        if (input.noCapacity) faults.noCapacity(input.noCapacity);
        if (input.service !== undefined || input.kind !== undefined || input.rate !== undefined)
          faults.add(input as FaultRule);
        return ok(faults.state());
      } catch (err) {
        return bad(400, (err as Error).message);
      }
    }
  }
  if (pathname === '/_sandbox/calls') {
    if (method === 'GET') return ok({ total: calls.total(), calls: calls.counts() });
    if (method === 'DELETE') {
      calls.reset();
      return ok({ total: 0, calls: {} });
    }
  }
  return bad(404, `no such sandbox control endpoint: ${method} ${pathname}`);
}
