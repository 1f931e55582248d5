// Services of type LoadBalancer, as the AWS Load Balancer Controller serves them on EKS: a network load balancer
// (ELBv2, in moto) in the cluster's subnets with a security group of its own in the cluster's VPC, both tagged
// `elbv2.k8s.aws/cluster: <cluster>` and `service.k8s.aws/stack: <namespace>/<name>` (the controller's stack
// tags), and a finalizer on the Service. Deleting the Service deletes both after a while, then lets the Service
// go. What a cluster deleted meanwhile leaves, stays: the controller ran inside the cluster, so nothing cleans
// up after it, and EC2 refuses to delete the VPC, its subnets and the group while they exist (ec2-leftovers.ts).
import { createHash } from 'node:crypto';
import { CreateSecurityGroupCommand, DeleteSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { KubeObject } from '../store.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';

export const LB_FINALIZER = 'service.k8s.aws/resources';

interface Provisioned {
  loadBalancerArn?: string;
  securityGroupId?: string;
  dnsName?: string;
  /** Set while an AWS call for this Service is under way. */
  busy: boolean;
  readyAt: number;
  deleteAt?: number;
}

export class LoadBalancerController implements Reconciler {
  readonly name = 'load-balancers';
  private readonly byUid = new Map<string, Provisioned>();
  private ec2?: EC2Client;
  private elb?: ElasticLoadBalancingV2Client;

  reconcile(ctx: ControllerContext): void {
    for (const svc of ctx.store.list('', 'Service')) {
      if ((svc.spec as { type?: string } | undefined)?.type !== 'LoadBalancer') continue;
      const uid = svc.metadata.uid!;
      const finalizers = svc.metadata.finalizers ?? [];
      if (svc.metadata.deletionTimestamp) {
        if (finalizers.includes(LB_FINALIZER)) this.tearDown(ctx, svc, uid);
        continue;
      }
      if (!finalizers.includes(LB_FINALIZER)) {
        ctx.patchIfChanged(svc, (o) => {
          o.metadata.finalizers = [...(o.metadata.finalizers ?? []), LB_FINALIZER];
        });
        continue;
      }
      this.provision(ctx, svc, uid);
    }
  }

  private clients(ctx: ControllerContext) {
    const base = {
      region: ctx.handle.placement.region,
      endpoint: ctx.env.motoEndpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 2,
    };
    this.ec2 ??= new EC2Client(base);
    this.elb ??= new ElasticLoadBalancingV2Client(base);
    return { ec2: this.ec2, elb: this.elb };
  }

  private provision(ctx: ControllerContext, svc: KubeObject, uid: string): void {
    let p = this.byUid.get(uid);
    if (!p) {
      p = { busy: false, readyAt: ctx.now() + ctx.env.profile.natCreateMs };
      this.byUid.set(uid, p);
    }
    if (p.dnsName) {
      ctx.patchIfChanged(svc, (o) => {
        o.status = { ...(o.status ?? {}), loadBalancer: { ingress: [{ hostname: p.dnsName }] } };
      });
      return;
    }
    if (p.busy) return;
    if (ctx.now() < p.readyAt) {
      ctx.wakeAt(p.readyAt);
      return;
    }
    p.busy = true;
    this.create(ctx, svc, p)
      .catch((err) => console.error(`[sandbox ${ctx.handle.placement.name}] load balancer:`, err))
      .finally(() => {
        p.busy = false;
        ctx.kick();
      });
  }

  private async create(ctx: ControllerContext, svc: KubeObject, p: Provisioned): Promise<void> {
    const { ec2, elb } = this.clients(ctx);
    const place = ctx.handle.placement;
    const ns = svc.metadata.namespace!;
    const stack = `${ns}/${svc.metadata.name}`;
    // The controller's names: k8s-<namespace>-<name>-<hash>, at most 32 characters for the load balancer.
    const hash = createHash('sha256').update(`${place.name}/${stack}`).digest('hex').slice(0, 10);
    const name = `k8s-${ns.slice(0, 8)}-${svc.metadata.name.slice(0, 8)}-${hash}`;
    const tags = [
      { Key: 'elbv2.k8s.aws/cluster', Value: place.name },
      { Key: 'service.k8s.aws/stack', Value: stack },
    ];
    if (!p.securityGroupId) {
      const sg = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: name,
          Description: '[k8s] Managed SecurityGroup for LoadBalancer',
          VpcId: place.vpcId,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: [...tags, { Key: 'service.k8s.aws/resource', Value: 'ManagedLBSecurityGroup' }],
            },
          ],
        }),
      );
      p.securityGroupId = sg.GroupId!;
    }
    const lb = await elb.send(
      new CreateLoadBalancerCommand({
        Name: name,
        Type: 'network',
        Scheme: 'internet-facing',
        Subnets: place.subnetIds,
        SecurityGroups: [p.securityGroupId],
        Tags: [...tags, { Key: 'service.k8s.aws/resource', Value: 'LoadBalancer' }],
      }),
    );
    const created = lb.LoadBalancers?.[0];
    p.loadBalancerArn = created?.LoadBalancerArn;
    p.dnsName = created?.DNSName ?? `${name}.elb.${place.region}.amazonaws.com`;
  }

  private tearDown(ctx: ControllerContext, svc: KubeObject, uid: string): void {
    const p = this.byUid.get(uid) ?? { busy: false, readyAt: 0 };
    this.byUid.set(uid, p);
    if (p.busy) return;
    // Deleting takes a while too (deregistering targets, then the load balancer's interfaces go).
    p.deleteAt ??= ctx.now() + ctx.env.profile.natDeleteMs;
    if (ctx.now() < p.deleteAt) {
      ctx.wakeAt(p.deleteAt);
      return;
    }
    p.busy = true;
    this.remove(ctx, p)
      .then(() => {
        this.byUid.delete(uid);
        // The last finalizer gone: the API server completes the delete.
        ctx.deleteIfExists('', 'Service', svc.metadata.namespace, svc.metadata.name);
      })
      .catch((err) => console.error(`[sandbox ${ctx.handle.placement.name}] load balancer delete:`, err))
      .finally(() => {
        p.busy = false;
        ctx.kick();
      });
  }

  private async remove(ctx: ControllerContext, p: Provisioned): Promise<void> {
    const { ec2, elb } = this.clients(ctx);
    if (p.loadBalancerArn) {
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: p.loadBalancerArn }));
      p.loadBalancerArn = undefined;
    }
    if (p.securityGroupId) {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: p.securityGroupId }));
      p.securityGroupId = undefined;
    }
  }
}
