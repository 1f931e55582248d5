// Faults on demand: a share of calls answered with throttling or a server error, and actions denied as
// IAM would deny them. Off until someone asks; the reliability tests and the demo turn them on.
import type { HttpReply } from './aws-errors.ts';
import { ec2Error, queryError, restJsonError } from './aws-errors.ts';
import { SANDBOX_USER_ARN } from './identity.ts';

export type FaultService = 'ec2' | 'eks' | 'iam' | 'sts' | '*';
/**
 * 'lost': the call reaches moto and is done, then the answer is lost (a 500, as a dropped connection retries).
 * 'hang': the call is taken and never answered (a half-open connection, an endpoint that stalls); it is not done.
 */
export type FaultKind = 'throttle' | '5xx' | 'lost' | 'hang';

export interface FaultRule {
  service: FaultService;
  /** Share of matching calls that fail, 0..1. */
  rate: number;
  kind: FaultKind;
  /** Only these actions (e.g. ['DescribeCluster']); all when absent. */
  actions?: string[];
  /** Only the first `times` matching calls (then the rule is spent); every matching call when absent. */
  times?: number;
}

export interface FaultState {
  rules: FaultRule[];
  /** IAM-style action names: 'eks:CreateCluster', 'iam:*'. */
  deny: string[];
  /** Instance types EC2 has no capacity for ('*': any): node groups asked to grow go DEGRADED. */
  noCapacity?: string[];
}

export interface Faults {
  add(rule: FaultRule): void;
  deny(actions: string[]): void;
  /** No capacity for these instance types ('*': any) until cleared. */
  noCapacity(instanceTypes: string[]): void;
  hasCapacity(instanceType: string): boolean;
  clear(): void;
  state(): FaultState;
  /** The error reply for this call, or undefined to let it through. */
  decide(service: string, action: string, resource?: string): HttpReply | undefined;
  /** After moto answered: the reply that replaces a lost answer, or undefined to deliver moto's. */
  decideAfter(service: string, action: string): HttpReply | undefined;
  /** Whether this call is never answered. */
  hangs(service: string, action: string): boolean;
}

export function createFaults(random: () => number = Math.random): Faults {
  let rules: FaultRule[] = [];
  let denied: string[] = [];
  let starved: string[] = [];
  /** The first rule of the kinds asked that fires for this call (counting down a rule's `times`). */
  const fire = (service: string, action: string, kinds: (k: FaultKind) => boolean): FaultRule | undefined => {
    for (const rule of rules) {
      if (!kinds(rule.kind)) continue;
      if (rule.service !== '*' && rule.service !== service) continue;
      if (rule.actions && !rule.actions.includes(action)) continue;
      if (rule.times !== undefined && rule.times <= 0) continue;
      if (random() >= rule.rate) continue;
      if (rule.times !== undefined) rule.times--;
      return rule;
    }
    return undefined;
  };
  return {
    noCapacity(instanceTypes) {
      starved.push(...instanceTypes);
    },
    hasCapacity: (instanceType) => !starved.includes('*') && !starved.includes(instanceType),
    add(rule) {
      validateRule(rule);
      rules.push({ ...rule });
    },
    deny(actions) {
      for (const a of actions) {
        if (!/^[a-z0-9-]+:[A-Za-z*]+$/.test(a))
          throw new Error(`deny entries look like 'eks:CreateCluster', got '${a}'`);
      }
      denied.push(...actions);
    },
    clear() {
      rules = [];
      denied = [];
      starved = [];
    },
    state: () => ({
      rules: rules.map((r) => ({ ...r })),
      deny: [...denied],
      ...(starved.length ? { noCapacity: [...starved] } : {}),
    }),
    decide(service, action, resource) {
      const iamAction = `${service}:${action}`;
      if (denied.some((pattern) => matches(pattern, iamAction))) return accessDenied(service, iamAction, resource);
      const rule = fire(service, action, (k) => k === 'throttle' || k === '5xx');
      if (rule) return rule.kind === 'throttle' ? throttled(service) : serverError(service);
      return undefined;
    },
    decideAfter(service, action) {
      return fire(service, action, (k) => k === 'lost') ? serverError(service) : undefined;
    },
    hangs: (service, action) => fire(service, action, (k) => k === 'hang') !== undefined,
  };
}

function validateRule(rule: FaultRule): void {
  if (!['ec2', 'eks', 'iam', 'sts', '*'].includes(rule.service))
    throw new Error(`unknown fault service '${rule.service}'`);
  if (!(rule.rate >= 0 && rule.rate <= 1)) throw new Error(`fault rate must be between 0 and 1, got ${rule.rate}`);
  if (!['throttle', '5xx', 'lost', 'hang'].includes(rule.kind)) {
    throw new Error(`fault kind must be 'throttle', '5xx', 'lost' or 'hang', got '${rule.kind}'`);
  }
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new Error(`fault times must be a positive whole number, got ${rule.times}`);
  }
}

function matches(pattern: string, iamAction: string): boolean {
  if (pattern.endsWith('*')) return iamAction.toLowerCase().startsWith(pattern.slice(0, -1).toLowerCase());
  return pattern.toLowerCase() === iamAction.toLowerCase();
}

function throttled(service: string): HttpReply {
  if (service === 'ec2') return ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
  if (service === 'eks') return restJsonError(429, 'ThrottlingException', 'Rate exceeded');
  return queryError(service, 400, 'Sender', 'Throttling', 'Rate exceeded');
}

function serverError(service: string): HttpReply {
  if (service === 'ec2') return ec2Error(500, 'InternalError', 'An internal error has occurred');
  if (service === 'eks')
    return restJsonError(503, 'ServiceUnavailableException', 'Service is unavailable. Please retry later.');
  if (service === 'iam') return queryError(service, 500, 'Receiver', 'ServiceFailure', 'Service Failure');
  return queryError(service, 503, 'Receiver', 'ServiceUnavailable', 'Service is unable to handle request.');
}

function accessDenied(service: string, iamAction: string, resource?: string): HttpReply {
  const on = resource ? ` on resource: ${resource}` : '';
  const because = ` because no identity-based policy allows the ${iamAction} action`;
  if (service === 'ec2') {
    return ec2Error(
      403,
      'UnauthorizedOperation',
      `You are not authorized to perform this operation. User: ${SANDBOX_USER_ARN} is not authorized to perform: ${iamAction}${on}${because}`,
    );
  }
  const message = `User: ${SANDBOX_USER_ARN} is not authorized to perform: ${iamAction}${on}${because}`;
  if (service === 'eks') return restJsonError(403, 'AccessDeniedException', message);
  return queryError(service, 403, 'Sender', 'AccessDenied', message);
}
