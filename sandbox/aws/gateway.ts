// The AWS endpoint the product talks to in the sandbox (AWS_ENDPOINT_URL): forwards every request to moto
// unchanged and adds what moto lacks — EKS and NAT gateway timelines, Kubernetes stand-ins behind EKS
// endpoints, STS presigned URLs for EKS tokens, faults on demand, call counts, Calico manifests.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ClusterHost, TimeProfile } from '../contracts.ts';
import type { HttpReply } from './aws-errors.ts';
import { ec2Error, queryError, restJsonError } from './aws-errors.ts';
import type { CallCounter } from './call-counter.ts';
import { createCallCounter } from './call-counter.ts';
import { handleControl, isControlPath } from './control-api.ts';
import { createConsistency } from './ec2-consistency.ts';
import { createLeftovers } from './ec2-leftovers.ts';
import { createNatSimulation, type NatSimulation } from './ec2-nat.ts';
import { createPeeringSimulation, type PeeringSimulation } from './ec2-peering.ts';
import { createZoneSimulation, type ZoneMapping } from './ec2-zones.ts';
import type { EksContext } from './eks-context.ts';
import { EksRecords } from './eks-records.ts';
import type { Faults } from './faults.ts';
import { createFaults } from './faults.ts';
import { forwardToMoto } from './forward.ts';
import { handleEc2 } from './gateway-ec2.ts';
import { eksResourceArn, handleEks } from './gateway-eks.ts';
import { answerAs, type Caller, createCaller, SANDBOX_ACCOUNT_ID } from './identity.ts';
import { isManifestPath, serveManifest } from './manifests.ts';
import { createMotoClients } from './moto-clients.ts';
import type { AwsRequest } from './request-info.ts';
import { describeRequest, header } from './request-info.ts';
import { callerIdentity, verifyPresignedCallerIdentity } from './sts-presigned.ts';
import { createTimers, type Timers } from './timers.ts';

export interface GatewayOptions {
  motoEndpoint: string;
  host: ClusterHost;
  profile: TimeProfile;
  /** Where Calico manifests live (default: sandbox/calico). */
  calicoDir?: string;
  faults?: Faults;
  log?: (line: string) => void;
  /** One log line per AWS call (service:action, status, duration), for the console and debugging. */
  logCalls?: boolean;
  /** This account's AZ name -> zone ID mapping per region (zone IDs in the order a, b, c...); moto's otherwise. */
  zones?: ZoneMapping;
  /** How long a new EC2 resource answers NotFound when named by ID (eventual consistency); 0: never. */
  consistencyLagMs?: number;
  /** GuardDuty EKS runtime monitoring on: every EKS VPC gets its endpoint and group once the cluster is ACTIVE. */
  guardDuty?: boolean;
}

export interface Gateway {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  faults: Faults;
  calls: CallCounter;
  eks: EksRecords;
  /** NAT gateways and peerings that end failed on demand (sandbox/aws/resource-failures.ts). */
  nat: Pick<NatSimulation, 'failNext' | 'clear'>;
  peerings: Pick<PeeringSimulation, 'failNext' | 'clear'>;
  /** The timeline of pending changes: held, nothing moves on until released (sandbox/aws/timers.ts). */
  timeline: Pick<Timers, 'now' | 'hold' | 'release' | 'pending'>;
  /** Who the caller is (switch it to run the product under another principal). */
  caller: Caller;
  /** Resolves when no simulated state change is pending (e.g. after all clusters are deleted). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_CALICO_DIR = fileURLToPath(new URL('../calico/', import.meta.url));

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? (() => {});
  const faults = opts.faults ?? createFaults();
  const calls = createCallCounter();
  const timers = createTimers(log);
  const moto = createMotoClients(opts.motoEndpoint);
  const records = new EksRecords();
  const caller = createCaller();
  const forward = (req: AwsRequest) =>
    forwardToMoto(opts.motoEndpoint, { method: req.method, url: req.url, headers: req.headers, body: req.body });
  const zones = createZoneSimulation({ mapping: opts.zones ?? {}, moto, forward });
  const hasCapacity = (instanceType: string) => faults.hasCapacity(instanceType);
  const leftovers = createLeftovers(moto, { now: timers.now, lingerMs: opts.profile.natDeleteMs });
  const onActive = opts.guardDuty
    ? (region: string, vpcId: string, subnetIds: string[]) => leftovers.addGuardDuty(region, vpcId, subnetIds)
    : undefined;
  const eks: EksContext = {
    records,
    host: opts.host,
    profile: opts.profile,
    timers,
    moto,
    forward,
    log,
    zones,
    hasCapacity,
    onActive,
    callerArn: () => caller.arn(),
  };
  const nat = createNatSimulation({ profile: opts.profile, timers, moto, forward, log, now: timers.now });
  const peerings = createPeeringSimulation(forward);
  const calicoDir = opts.calicoDir ?? DEFAULT_CALICO_DIR;
  const consistency = createConsistency(opts.consistencyLagMs ?? 0);

  async function route(msg: IncomingMessage, body: Buffer): Promise<HttpReply> {
    const method = msg.method ?? 'GET';
    const url = msg.url ?? '/';
    const pathname = new URL(url, 'http://gateway.invalid').pathname;
    if (isControlPath(pathname)) return handleControl(faults, calls, method, pathname, body);
    if (isManifestPath(pathname)) return serveManifest(calicoDir, method, pathname);
    const req = describeRequest({ method, url, headers: msg.headers, body });
    if (!req) return forwardToMoto(opts.motoEndpoint, { method, url, headers: msg.headers, body });
    // Presigned GetCallerIdentity comes from the stand-ins checking EKS tokens (EKS's side), not the product.
    calls.record(req.service, req.presigned ? `${req.action}(presigned)` : req.action, req);
    const fault = faults.decide(
      req.service,
      req.action,
      req.service === 'eks' ? eksResourceArn(req, SANDBOX_ACCOUNT_ID) : undefined,
    );
    if (fault) return fault;
    if (faults.hangs(req.service, req.action)) return HUNG;
    const settling = consistency.check(req);
    if (settling) return settling;
    const reply = await answer(req);
    consistency.created(req, reply);
    // The work is done; the answer may still be lost on the way back (the SDK then retries the call).
    const lost = reply.status === 200 ? faults.decideAfter(req.service, req.action) : undefined;
    return lost ?? reply;
  }

  async function answer(req: AwsRequest): Promise<HttpReply> {
    switch (req.service) {
      case 'eks':
        return handleEks(eks, req);
      case 'ec2':
        return handleEc2(nat, peerings, zones, leftovers, req, forward);
      case 'elasticloadbalancing':
        return leftovers.loadBalancing(req, forward);
      case 'sts':
        if (req.action === 'GetCallerIdentity') {
          const reply = req.presigned
            ? await verifyPresignedCallerIdentity(req)
            : callerIdentity(header(req.headers, 'accept') ?? '');
          return answerAs(reply, caller.arn());
        }
        return forward(req);
      default:
        return forward(req);
    }
  }

  const server = createServer((msg: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    msg.on('data', (c: Buffer) => chunks.push(c));
    msg.on('end', () => {
      const body = Buffer.concat(chunks);
      const started = Date.now();
      route(msg, body)
        .catch((err: Error) => {
          log(`gateway: ${msg.method} ${msg.url} failed: ${err.stack ?? err.message}`);
          return internalError(msg, body);
        })
        .then((reply) => {
          // Never answered: the connection stays open until the caller gives up on it (or the gateway stops).
          if (reply === HUNG) return;
          send(res, reply);
          if (opts.logCalls) logCall(log, msg, body, reply, Date.now() - started);
        });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  log(`aws gateway listening on ${url} (moto at ${opts.motoEndpoint})`);

  return {
    url,
    port,
    faults,
    calls,
    eks: records,
    nat,
    peerings,
    timeline: { now: timers.now, hold: timers.hold, release: timers.release, pending: timers.pending },
    caller,
    idle: () => timers.idle(),
    async stop() {
      timers.cancelAll();
      // A change already under way (a stand-in starting) finishes first, so nothing starts after stop.
      await Promise.race([timers.idle(), new Promise((r) => setTimeout(r, 5_000).unref())]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      moto.destroy();
    },
  };
}

/** What route() gives for a call that the 'hang' fault takes and never answers. */
const HUNG: HttpReply = { status: 0, headers: {}, body: '' };

function send(res: ServerResponse, reply: HttpReply): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
  res.end(body);
}

function logCall(log: (line: string) => void, msg: IncomingMessage, body: Buffer, reply: HttpReply, ms: number): void {
  const req = describeRequest({ method: msg.method ?? 'GET', url: msg.url ?? '/', headers: msg.headers, body });
  if (!req) return;
  log(`aws ${req.service}:${req.action || '?'} ${req.region} -> ${reply.status} (${ms} ms)`);
}

function internalError(msg: IncomingMessage, body: Buffer): HttpReply {
  const req = describeRequest({ method: msg.method ?? 'GET', url: msg.url ?? '/', headers: msg.headers, body });
  if (req?.service === 'ec2') return ec2Error(500, 'InternalError', 'An internal error has occurred');
  if (req?.service === 'eks') return restJsonError(500, 'ServerException', 'An internal error has occurred');
  return queryError(req?.service ?? 'iam', 500, 'Receiver', 'ServiceFailure', 'An internal error has occurred');
}
