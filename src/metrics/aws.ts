// Counts AWS API calls on every SDK client meshops builds (src/aws/clients.ts adds this to each client): one
// middleware around the whole call (outcome after retries, duration), one around each attempt (throttling).
import { awsCalls, awsDuration, awsThrottles } from './registry.ts';

// The error codes the SDK itself treats as throttling (smithy's service-error-classification), plus HTTP 429.
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isThrottling(err: unknown): boolean {
  const e = err as SdkError;
  return THROTTLING.has(e?.name ?? '') || e?.$metadata?.httpStatusCode === 429;
}

type Handler = (args: unknown) => Promise<unknown>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;
/** The part of an SDK v3 client this needs (its middleware stack). */
interface Instrumentable {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's add() is overloaded per step
  middlewareStack: { add(...args: any[]): void };
}

/** Adds the two metrics middlewares to one client. `service` and `region` become labels. */
export function instrumentAwsClient<C extends Instrumentable>(client: C, service: string, region: string): C {
  const operationOf = (context: { commandName?: string }) => (context.commandName ?? 'unknown').replace(/Command$/, '');
  const call: Middleware = (next, context) => async (args) => {
    const operation = operationOf(context);
    const started = performance.now();
    try {
      const out = await next(args);
      awsCalls.inc({ service, operation, region, outcome: 'ok' });
      return out;
    } catch (err) {
      awsCalls.inc({ service, operation, region, outcome: (err as SdkError)?.name ?? 'Error' });
      throw err;
    } finally {
      awsDuration.observe({ service, operation }, (performance.now() - started) / 1000);
    }
  };
  // finalizeRequest at low priority: inside the SDK's retry loop, outside deserialization, so once per attempt
  // with the service's error already parsed.
  const attempt: Middleware = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (err) {
      if (isThrottling(err)) awsThrottles.inc({ service, operation: operationOf(context), region });
      throw err;
    }
  };
  client.middlewareStack.add(call, { step: 'initialize', name: 'meshopsMetricsCall', override: true });
  client.middlewareStack.add(attempt, {
    step: 'finalizeRequest',
    priority: 'low',
    name: 'meshopsMetricsAttempt',
    override: true,
  });
  return client;
}
