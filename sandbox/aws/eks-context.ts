// What the EKS simulation works with: its records, the Kubernetes side, the time profile, moto.
import type { ClusterHost, TimeProfile } from '../contracts.ts';
import type { HttpReply } from './aws-errors.ts';
import type { ZoneSimulation } from './ec2-zones.ts';
import type { EksRecords } from './eks-records.ts';
import type { MotoClients } from './moto-clients.ts';
import type { AwsRequest } from './request-info.ts';
import type { Timers } from './timers.ts';

export interface EksContext {
  records: EksRecords;
  host: ClusterHost;
  profile: TimeProfile;
  timers: Timers;
  moto: MotoClients;
  forward(req: AwsRequest): Promise<HttpReply>;
  log(line: string): void;
  zones: ZoneSimulation;
  /** EC2 capacity for node groups (a fault can take it away). */
  hasCapacity(instanceType: string): boolean;
  /** What else happens in the account when a cluster turns ACTIVE (GuardDuty's endpoint, when on). */
  onActive?: (region: string, vpcId: string, subnetIds: string[]) => Promise<void>;
}

export function parseJsonBody(req: AwsRequest): Record<string, any> {
  if (req.body.length === 0) return {};
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    return {};
  }
}

export function readJson(reply: HttpReply): Record<string, any> {
  return JSON.parse(Buffer.isBuffer(reply.body) ? reply.body.toString('utf8') : reply.body);
}
