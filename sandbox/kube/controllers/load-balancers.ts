// Services of type LoadBalancer, served as on EKS by one of two controllers.
// - The AWS Load Balancer Controller (installed, the default here; v2.5+ makes itself the default for new
//   Services through its webhook): a network load balancer (ELBv2) in the cluster's subnets with a security group
//   of its own in the cluster's VPC, both tagged `elbv2.k8s.aws/cluster: <cluster>` and `service.k8s.aws/stack:
//   <namespace>/<name>` (the controller's stack tags), and the finalizer `service.k8s.aws/resources`.
// - Without it (`ControllerEnv.loadBalancerController: false`), the in-tree cloud provider's service controller
//   (kubernetes/cloud-provider-aws, pkg/providers/v1): a Classic ELB (ELB API) named after the Service's UID
//   (`a` + the UID without dashes, 32 characters: cloudprovider.DefaultLoadBalancerName) and tagged
//   `kubernetes.io/service-name: <ns>/<name>` and `kubernetes.io/cluster/<cluster>: owned`, with a security group
//   `k8s-elb-<lb name>` in the cluster's VPC tagged `kubernetes.io/cluster/<cluster>: owned`, and the finalizer
//   `service.kubernetes.io/load-balancer-cleanup`. A Service naming a loadBalancerClass is left to a controller
//   that is not there (the in-tree one serves only Services without a class). With the annotation
//   `service.beta.kubernetes.io/aws-load-balancer-type: nlb` it makes an ELBv2 network load balancer instead, of
//   the same name and tags and without a security group of its own, a target group per port
//   (`k8s-<ns:8>-<name:8>-<sha1:10>`, tagged as the load balancer) with a TCP listener, and opens the node
//   ports in the nodes' security group (rules described `kubernetes.io/rule/nlb/client=<lb name>`); deleting
//   the Service deletes the load balancer and its target groups and revokes those rules (aws_loadbalancer.go:
//   ensureLoadBalancerv2, buildTargetGroupName, updateInstanceSecurityGroupsForNLB).
// Deleting the Service deletes the load balancer and its group after a while, then lets the Service go. What a
// cluster deleted meanwhile leaves, stays: the controller ran inside the cluster, so nothing cleans up after it,
// and EC2 refuses to delete the VPC, its subnets and the group while they exist (ec2-leftovers.ts).
import { createHash } from 'node:crypto';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand as CreateClassicCommand,
  DeleteLoadBalancerCommand as DeleteClassicCommand,
  ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { KubeObject } from '../store.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';

export const LB_FINALIZER = 'service.k8s.aws/resources';
export const IN_TREE_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';

type Flavour = 'controller' | 'in-tree';
const LB_TYPE_ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer-type';

interface ServiceSpec {
  type?: string;
  loadBalancerClass?: string;
  ports?: Array<{ port?: number; nodePort?: number }>;
}

interface Provisioned {
  loadBalancerArn?: string;
  /** A Classic ELB is addressed by its name. */
  classicName?: string;
  securityGroupId?: string;
  /** The in-tree NLB's target groups, and the node group rules it opened (group, port). */
  targetGroupArns?: string[];
  nodeRules?: { groupId: string; ports: number[]; description: string };
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
  private classic?: ElasticLoadBalancingClient;

  reconcile(ctx: ControllerContext): void {
    const flavour: Flavour = ctx.env.loadBalancerController === false ? 'in-tree' : 'controller';
    const finalizer = flavour === 'in-tree' ? IN_TREE_FINALIZER : LB_FINALIZER;
    for (const svc of ctx.store.list('', 'Service')) {
      const spec = svc.spec as ServiceSpec | undefined;
      if (spec?.type !== 'LoadBalancer') continue;
      const uid = svc.metadata.uid!;
      const finalizers = svc.metadata.finalizers ?? [];
      if (svc.metadata.deletionTimestamp) {
        if (finalizers.includes(finalizer)) this.tearDown(ctx, svc, uid);
        continue;
      }
      if (flavour === 'in-tree' && spec.loadBalancerClass) continue;
      if (!finalizers.includes(finalizer)) {
        ctx.patchIfChanged(svc, (o) => {
          o.metadata.finalizers = [...(o.metadata.finalizers ?? []), finalizer];
        });
        continue;
      }
      this.provision(ctx, svc, uid, flavour);
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
    this.classic ??= new ElasticLoadBalancingClient(base);
    return { ec2: this.ec2, elb: this.elb, classic: this.classic };
  }

  private provision(ctx: ControllerContext, svc: KubeObject, uid: string, flavour: Flavour): void {
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
    const inTreeNlb = flavour === 'in-tree' && svc.metadata.annotations?.[LB_TYPE_ANNOTATION] === 'nlb';
    (inTreeNlb
      ? this.createInTreeNlb(ctx, svc, p)
      : flavour === 'in-tree'
        ? this.createClassic(ctx, svc, p)
        : this.create(ctx, svc, p)
    )
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

  /** What the in-tree cloud provider's EnsureLoadBalancer makes for a Service without a load balancer class. */
  private async createClassic(ctx: ControllerContext, svc: KubeObject, p: Provisioned): Promise<void> {
    const { ec2, classic } = this.clients(ctx);
    const place = ctx.handle.placement;
    const service = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const name = `a${svc.metadata.uid!.replaceAll('-', '')}`.slice(0, 32);
    const owned = { Key: `kubernetes.io/cluster/${place.name}`, Value: 'owned' };
    if (!p.securityGroupId) {
      const sg = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `k8s-elb-${name}`,
          Description: `Security group for Kubernetes ELB ${name} (${service})`,
          VpcId: place.vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [owned] }],
        }),
      );
      p.securityGroupId = sg.GroupId!;
    }
    const ports = (svc.spec as ServiceSpec).ports ?? [];
    const out = await classic.send(
      new CreateClassicCommand({
        LoadBalancerName: name,
        // Classic listeners speak TCP, SSL, HTTP or HTTPS; the in-tree provider makes TCP ones by default.
        Listeners: ports.map((port, i) => ({
          Protocol: 'TCP',
          LoadBalancerPort: port.port ?? 80,
          InstanceProtocol: 'TCP',
          InstancePort: port.nodePort ?? 30000 + i,
        })),
        Subnets: place.subnetIds,
        SecurityGroups: [p.securityGroupId],
        Tags: [{ Key: 'kubernetes.io/service-name', Value: service }, owned],
      }),
    );
    p.classicName = name;
    p.dnsName = out.DNSName ?? `${name}.${place.region}.elb.amazonaws.com`;
  }

  /** The in-tree provider's NLB (ensureLoadBalancerv2): no security group of its own; rules in the nodes' one. */
  private async createInTreeNlb(ctx: ControllerContext, svc: KubeObject, p: Provisioned): Promise<void> {
    const { ec2, elb } = this.clients(ctx);
    const place = ctx.handle.placement;
    const ns = svc.metadata.namespace!;
    const svcName = svc.metadata.name;
    const name = `a${svc.metadata.uid!.replaceAll('-', '')}`.slice(0, 32);
    const tags = [
      { Key: 'kubernetes.io/service-name', Value: `${ns}/${svcName}` },
      { Key: `kubernetes.io/cluster/${place.name}`, Value: 'owned' },
    ];
    const ports = ((svc.spec as ServiceSpec).ports ?? []).map((port, i) => ({
      port: port.port ?? 80,
      nodePort: port.nodePort ?? 30000 + i,
    }));
    const lb = await elb.send(
      new CreateLoadBalancerCommand({ Name: name, Type: 'network', Subnets: place.subnetIds, Tags: tags }),
    );
    const created = lb.LoadBalancers![0]!;
    p.loadBalancerArn = created.LoadBalancerArn;
    p.targetGroupArns = [];
    const clean = (x: string) => x.replace(/[^a-zA-Z0-9]/g, '');
    for (const { port, nodePort } of ports) {
      const hash = createHash('sha1').update(`${place.name}${ns}${svcName}${port}${nodePort}TCPinstance`).digest('hex');
      const tg = await elb.send(
        new CreateTargetGroupCommand({
          Name: `k8s-${clean(ns).slice(0, 8)}-${clean(svcName).slice(0, 8)}-${hash.slice(0, 10)}`,
          Protocol: 'TCP',
          Port: nodePort,
          VpcId: place.vpcId,
          TargetType: 'instance',
          Tags: tags,
        }),
      );
      const tgArn = tg.TargetGroups![0]!.TargetGroupArn!;
      p.targetGroupArns.push(tgArn);
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: created.LoadBalancerArn,
          Port: port,
          Protocol: 'TCP',
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
        }),
      );
    }
    const description = `kubernetes.io/rule/nlb/client=${name}`;
    if (ports.length) {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: place.clusterSecurityGroupId,
          IpPermissions: ports.map(({ nodePort }) => ({
            IpProtocol: 'tcp',
            FromPort: nodePort,
            ToPort: nodePort,
            IpRanges: [{ CidrIp: '0.0.0.0/0', Description: description }],
          })),
        }),
      );
      p.nodeRules = { groupId: place.clusterSecurityGroupId, ports: ports.map((x) => x.nodePort), description };
    }
    p.dnsName = created.DNSName ?? `${name}.elb.${place.region}.amazonaws.com`;
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
    const { ec2, elb, classic } = this.clients(ctx);
    if (p.loadBalancerArn) {
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: p.loadBalancerArn }));
      p.loadBalancerArn = undefined;
    }
    // The in-tree provider deletes the NLB's target groups itself (the API does not) and revokes its node rules.
    for (const arn of p.targetGroupArns ?? []) await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
    p.targetGroupArns = undefined;
    if (p.nodeRules) {
      const { groupId, ports, description } = p.nodeRules;
      await ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: ports.map((port) => ({
            IpProtocol: 'tcp',
            FromPort: port,
            ToPort: port,
            IpRanges: [{ CidrIp: '0.0.0.0/0', Description: description }],
          })),
        }),
      );
      p.nodeRules = undefined;
    }
    if (p.classicName) {
      await classic.send(new DeleteClassicCommand({ LoadBalancerName: p.classicName }));
      p.classicName = undefined;
    }
    if (p.securityGroupId) {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: p.securityGroupId }));
      p.securityGroupId = undefined;
    }
  }
}
