// The controllers of one simulated EKS cluster, working on its object store directly.
import type { ClusterControllers, InstallControllers } from '../../contracts.ts';
import { NetworkExec } from '../network/exec.ts';
import { AwsReads } from './aws-reads.ts';
import { CalicoCloudInstaller } from './calico-cloud.ts';
import { CalicoV3Mirror } from './calico-v3-mirror.ts';
import { ClusterConnectionController } from './cluster-connection.ts';
import { EndpointSliceController } from './endpointslices.ts';
import { FederatedServicesController } from './federated-services.ts';
import { FederationController } from './federation.ts';
import { GarbageCollector } from './garbage.ts';
import { Kubelet } from './kubelet.ts';
import { LoadBalancerController } from './load-balancers.ts';
import { NodeController } from './nodes.ts';
import { ControllerContext } from './runtime.ts';
import { ServiceAccountController } from './serviceaccounts.ts';
import { ServiceController } from './services.ts';
import { TigeraOperator } from './tigera-operator.ts';
import { typhaMetrics } from './typha-metrics.ts';
import { DaemonSetController, DeploymentController, ReplicaSetController, StatefulSetController } from './workloads.ts';

export const installControllers: InstallControllers = (handle, env): ClusterControllers => {
  const ctx = new ControllerContext(handle, env);
  const aws = new AwsReads(env.motoEndpoint, handle.placement.region);
  const nodes = new NodeController(ctx, aws);
  ctx.add(nodes);
  ctx.add(new ServiceAccountController());
  ctx.add(new DeploymentController());
  ctx.add(new ReplicaSetController());
  ctx.add(new DaemonSetController());
  ctx.add(new StatefulSetController());
  ctx.add(new Kubelet(nodes));
  ctx.add(new ServiceController());
  ctx.add(new LoadBalancerController());
  ctx.add(new TigeraOperator(aws));
  ctx.add(new CalicoV3Mirror());
  const federation = new FederationController(ctx);
  ctx.add(federation);
  ctx.add(new FederatedServicesController(federation));
  ctx.add(new EndpointSliceController());
  ctx.add(new CalicoCloudInstaller());
  ctx.add(new ClusterConnectionController());
  ctx.add(new GarbageCollector());
  const unsubscribe = handle.store.subscribe(() => ctx.kick());
  ctx.onStop(unsubscribe);
  ctx.kick();
  return {
    setNodeGroup: (shape) => nodes.setNodeGroup(shape),
    deleteNodeGroup: (name) => nodes.deleteNodeGroup(name),
    exec: new NetworkExec(handle, env).exec,
    http: typhaMetrics(handle),
    stop: () => ctx.stop(),
  };
};
