// Everything one API stand-in's request handlers share.
import type { AccessRequest, ClusterPlacement, ExecHandler, PodHttpHandler, UserInfo } from '../../contracts.ts';
import type { PodLogStore } from '../logs.ts';
import type { ObjectStore } from '../store.ts';
import type { ClusterIpAllocator } from './admission.ts';
import type { EventHub } from './events.ts';
import type { GarbageCollector } from './gc.ts';
import type { Registry } from './registry.ts';
import type { TokenIssuer } from './tokens.ts';

export interface ClusterContext {
  placement: ClusterPlacement;
  store: ObjectStore;
  logs: PodLogStore;
  registry: Registry;
  hub: EventHub;
  gc: GarbageCollector;
  ips: ClusterIpAllocator;
  tokens: TokenIssuer;
  authorize(user: UserInfo, req: AccessRequest): boolean;
  /** The controllers' exec handler, once they are installed. */
  exec(): ExecHandler | undefined;
  /** Exec requests accepted so far, by command (its first word). */
  execs: Map<string, number>;
  /** The controllers' pod HTTP ports (pods/proxy), once they are installed. */
  podHttp(): PodHttpHandler | undefined;
}
