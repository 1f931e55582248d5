// The Kubernetes side of the sandbox as the AWS gateway sees it: one API stand-in per ACTIVE EKS cluster,
// with the controllers installed in each.
import type {
  ClusterControllers,
  ClusterHost,
  ClusterPlacement,
  ControllerEnv,
  EksTokenVerifier,
  InstallControllers,
  NodeGroupShape,
  SimClusterHandle,
} from '../contracts.ts';
import { type ApiServer, startApiServer } from './server/server.ts';

export interface SimClusterHost extends ClusterHost {
  clusters(): SimClusterHandle[];
  find(region: string, name: string): SimClusterHandle | undefined;
  stopAll(): Promise<void>;
}

interface Running {
  server: ApiServer;
  controllers: ClusterControllers | undefined;
}

export function createClusterHost(opts: {
  verifyEksToken: EksTokenVerifier;
  installControllers?: InstallControllers;
  env: Omit<ControllerEnv, 'clusters'>;
}): SimClusterHost {
  const running = new Map<string, Running>();
  const starting = new Map<string, Promise<{ endpoint: string; caPem: string }>>();
  const key = (region: string, name: string): string => `${region}/${name}`;
  const clusters = (): SimClusterHandle[] => [...running.values()].map((r) => r.server.handle);
  const env: ControllerEnv = { ...opts.env, clusters };

  async function start(placement: ClusterPlacement): Promise<{ endpoint: string; caPem: string }> {
    const server = await startApiServer(placement, { verifyEksToken: opts.verifyEksToken });
    const entry: Running = { server, controllers: undefined };
    running.set(key(placement.region, placement.name), entry);
    if (opts.installControllers) {
      entry.controllers = opts.installControllers(server.handle, env);
      server.setExecHandler(entry.controllers.exec);
      server.setPodHttpHandler(entry.controllers.http);
    }
    return { endpoint: server.handle.endpoint, caPem: server.handle.caPem };
  }

  async function stop(region: string, name: string): Promise<void> {
    const k = key(region, name);
    await starting.get(k)?.catch(() => undefined);
    const entry = running.get(k);
    if (!entry) return;
    running.delete(k);
    try {
      entry.controllers?.stop();
    } finally {
      await entry.server.close();
    }
  }

  return {
    /** Idempotent: a cluster already running keeps its endpoint and CA (the gateway may ask again). */
    startCluster(placement) {
      const k = key(placement.region, placement.name);
      const existing = running.get(k);
      if (existing)
        return Promise.resolve({ endpoint: existing.server.handle.endpoint, caPem: existing.server.handle.caPem });
      const pending = starting.get(k);
      if (pending) return pending;
      const promise = start(placement).finally(() => starting.delete(k));
      starting.set(k, promise);
      return promise;
    },
    stopCluster: stop,
    setNodeGroup(region: string, cluster: string, shape: NodeGroupShape) {
      running.get(key(region, cluster))?.controllers?.setNodeGroup(shape);
    },
    deleteNodeGroup(region: string, cluster: string, nodegroup: string) {
      running.get(key(region, cluster))?.controllers?.deleteNodeGroup(nodegroup);
    },
    clusters,
    find(region, name) {
      return running.get(key(region, name))?.server.handle;
    },
    async stopAll() {
      const all = [...running.keys()].map((k) => {
        const [region, ...rest] = k.split('/');
        return stop(region!, rest.join('/'));
      });
      await Promise.allSettled(all);
    },
  };
}
