// Test harness: a moto server, VPCs made in it, and a cluster handle around a bare object store, so the
// controllers run exactly as inside the stand-in (minus HTTP).
import { readFileSync } from 'node:fs';
import {
  AssociateRouteTableCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { parseAllDocuments } from 'yaml';
import type {
  ApiRegistry,
  ApiResourceDef,
  ClusterControllers,
  ClusterPlacement,
  ControllerEnv,
  SimClusterHandle,
  TimeProfile,
} from '../../sandbox/contracts.ts';
import { installControllers } from '../../sandbox/kube/controllers/index.ts';
import { PodLogStore } from '../../sandbox/kube/logs.ts';
import { createAuthorizer } from '../../sandbox/kube/server/rbac.ts';
import type { KubeObject } from '../../sandbox/kube/store.ts';
import { ObjectStore } from '../../sandbox/kube/store.ts';

export const tinyProfile: TimeProfile = {
  name: 'test',
  clusterCreateMs: 10,
  clusterDeleteMs: 10,
  nodegroupCreateMs: 10,
  nodegroupUpdateMs: 10,
  nodegroupDeleteMs: 10,
  natCreateMs: 10,
  natDeleteMs: 10,
  nodeReadyMs: 40,
  podReadyMs: 20,
  calicoReadyMs: 40,
  federationSyncMs: 60,
};

export function ec2(endpoint: string, region: string): EC2Client {
  return new EC2Client({ region, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

export interface TestVpc {
  region: string;
  vpcId: string;
  cidr: string;
  subnetIds: string[];
  routeTableId: string;
  securityGroupId: string;
}

/** A VPC like the blueprint's: two private /20 subnets in two AZs sharing one route table, and a cluster SG. */
export async function makeVpc(endpoint: string, region: string, cidr: string): Promise<TestVpc> {
  const client = ec2(endpoint, region);
  const vpc = await client.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = vpc.Vpc!.VpcId!;
  const [a, b] = cidr.split('.').map(Number);
  const subnetIds: string[] = [];
  for (const [i, az] of ['a', 'b'].entries()) {
    const s = await client.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: `${a}.${b}.${(10 + i) * 16}.0/20`,
        AvailabilityZone: `${region}${az}`,
      }),
    );
    subnetIds.push(s.Subnet!.SubnetId!);
  }
  const rt = await client.send(new CreateRouteTableCommand({ VpcId: vpcId }));
  const routeTableId = rt.RouteTable!.RouteTableId!;
  for (const id of subnetIds)
    await client.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: id }));
  const sg = await client.send(
    new CreateSecurityGroupCommand({
      GroupName: `eks-cluster-sg-${vpcId}`,
      Description: 'EKS created security group',
      VpcId: vpcId,
    }),
  );
  return { region, vpcId, cidr, subnetIds, routeTableId, securityGroupId: sg.GroupId! };
}

class MapRegistry implements ApiRegistry {
  readonly defs = new Map<string, ApiResourceDef>();
  register(def: ApiResourceDef): void {
    this.defs.set(`${def.group}|${def.version}|${def.plural}`, def);
  }
  unregister(group: string, version: string, plural: string): void {
    this.defs.delete(`${group}|${version}|${plural}`);
  }
  find(group: string, kind: string): ApiResourceDef | undefined {
    return [...this.defs.values()].find((d) => d.group === group && d.kind === kind);
  }
}

export interface TestCluster {
  handle: SimClusterHandle;
  registry: MapRegistry;
  controllers: ClusterControllers;
  vpc: TestVpc;
  store: ObjectStore;
}

export function seedCluster(store: ObjectStore): void {
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } });
  }
  store.create({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'aws-node', namespace: 'kube-system', labels: { 'k8s-app': 'aws-node' } },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'aws-node' } },
      template: {
        metadata: { labels: { 'k8s-app': 'aws-node' } },
        spec: {
          hostNetwork: true,
          tolerations: [{ operator: 'Exists' }],
          containers: [
            {
              name: 'aws-node',
              image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.20.4-eksbuild.1',
            },
          ],
        },
      },
    },
  });
}

export function makeCluster(env: ControllerEnv, name: string, vpc: TestVpc, all: TestCluster[]): TestCluster {
  const store = new ObjectStore();
  seedCluster(store);
  const registry = new MapRegistry();
  const placement: ClusterPlacement = {
    name,
    region: vpc.region,
    accountId: '123456789012',
    vpcId: vpc.vpcId,
    subnetIds: vpc.subnetIds,
    clusterSecurityGroupId: vpc.securityGroupId,
    kubernetesVersion: '1.34',
  };
  const handle: SimClusterHandle = {
    placement,
    store,
    logs: new PodLogStore(),
    api: registry,
    authorize: createAuthorizer(store),
    endpoint: `https://${name}.invalid`,
    caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  };
  const controllers = installControllers(handle, env);
  const cluster = { handle, registry, controllers, vpc, store };
  all.push(cluster);
  return cluster;
}

/** Writes the documents of a manifest into the store, as `kubectl apply` would through the API. */
export function applyManifestFile(
  store: ObjectStore,
  path: string,
  filter: (o: KubeObject) => boolean = () => true,
): void {
  for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
    const obj = doc.toJS() as KubeObject | null;
    if (!obj?.kind || !filter(obj)) continue;
    store.create(obj);
  }
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function readyCondition(
  obj: KubeObject | undefined,
): { status: string; reason?: string; message?: string } | undefined {
  return (
    obj?.status as
      | { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }
      | undefined
  )?.conditions?.find((c) => c.type === 'Ready');
}

export function tigeraCondition(store: ObjectStore, name: string, type: string) {
  const ts = store.get('operator.tigera.io', 'TigeraStatus', undefined, name);
  return (
    ts?.status as
      | { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }
      | undefined
  )?.conditions?.find((c) => c.type === type);
}

/** The pull secret for Tigera's private registry that an Enterprise Installation names. */
export function pullSecret(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name: 'tigera-pull-secret', namespace: 'tigera-operator' },
    data: { '.dockerconfigjson': Buffer.from('{"auths":{"quay.io":{"auth":"eA=="}}}').toString('base64') },
  };
}

export function installation(opts: {
  cidr: string;
  encapsulation?: string;
  provider?: string;
  enterprise?: boolean;
  cniType?: string;
}): KubeObject {
  return {
    apiVersion: 'operator.tigera.io/v1',
    kind: 'Installation',
    metadata: { name: 'default' },
    spec: {
      ...(opts.enterprise
        ? { variant: 'TigeraSecureEnterprise', imagePullSecrets: [{ name: 'tigera-pull-secret' }] }
        : {}),
      kubernetesProvider: opts.provider ?? 'EKS',
      cni: { type: opts.cniType ?? 'Calico', ipam: { type: opts.cniType === 'AmazonVPC' ? 'AmazonVPC' : 'Calico' } },
      calicoNetwork: {
        bgp: 'Disabled',
        ipPools: [
          {
            cidr: opts.cidr,
            encapsulation: opts.encapsulation ?? 'VXLAN',
            natOutgoing: 'Enabled',
            nodeSelector: 'all()',
          },
        ],
      },
    },
  };
}
