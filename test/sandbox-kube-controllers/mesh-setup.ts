// Two Calico Enterprise clusters behind real API stand-ins (sandbox/kube/host.ts), in two regions with their
// VPCs in moto, plus the helpers the federation and network tests use to build and break the mesh.
import {
  AcceptVpcPeeringConnectionCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  CreateVpcPeeringConnectionCommand,
} from '@aws-sdk/client-ec2';
import { stringify } from 'yaml';
import type { SimClusterHandle } from '../../sandbox/contracts.ts';
import { installControllers } from '../../sandbox/kube/controllers/index.ts';
import { createClusterHost, type SimClusterHost } from '../../sandbox/kube/host.ts';
import type { KubeObject } from '../../sandbox/kube/store.ts';
import {
  applyManifestFile,
  ec2,
  installation,
  makeVpc,
  pullSecret,
  type TestVpc,
  tigeraCondition,
  tinyProfile,
  waitFor,
} from './harness.ts';

export interface MeshCluster {
  name: string;
  handle: SimClusterHandle;
  vpc: TestVpc;
  podCidr: string;
}

export async function startHost(motoEndpoint: string): Promise<SimClusterHost> {
  return createClusterHost({
    verifyEksToken: async () => ({ ok: false, reason: 'EKS tokens are not used in these tests' }),
    installControllers,
    env: { profile: tinyProfile, motoEndpoint },
  });
}

const enterpriseDir = 'sandbox/calico/enterprise/v3.23.1/manifests';

/** An EKS cluster as /mesh up leaves it: nodes, aws-node gone, Calico Enterprise with a license and API server. */
export async function enterpriseCluster(
  host: SimClusterHost,
  motoEndpoint: string,
  name: string,
  region: string,
  vpcCidr: string,
  podCidr: string,
): Promise<MeshCluster> {
  const vpc = await makeVpc(motoEndpoint, region, vpcCidr);
  await host.startCluster({
    name,
    region,
    accountId: '123456789012',
    vpcId: vpc.vpcId,
    subnetIds: vpc.subnetIds,
    clusterSecurityGroupId: vpc.securityGroupId,
    kubernetesVersion: '1.34',
  });
  const handle = host.find(region, name)!;
  const store = handle.store;
  store.delete('apps', 'DaemonSet', 'kube-system', 'aws-node');
  const wantedCrds = new Set([
    'licensekeys.crd.projectcalico.org',
    'remoteclusterconfigurations.crd.projectcalico.org',
  ]);
  applyManifestFile(store, `${enterpriseDir}/operator-crds.yaml`, (o) => wantedCrds.has(o.metadata.name));
  applyManifestFile(store, `${enterpriseDir}/tigera-operator.yaml`);
  store.create(pullSecret());
  store.create(installation({ cidr: podCidr, enterprise: true }));
  store.create({ apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', metadata: { name: 'default' }, spec: {} });
  store.create({
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'LicenseKey',
    metadata: { name: 'default' },
    spec: { token: 'eyJ.test.license', certificate: 'cert' },
  });
  host.setNodeGroup(region, name, {
    name: `${name}-ng`,
    desiredSize: 2,
    instanceType: 'm5.xlarge',
    subnetIds: vpc.subnetIds,
  });
  await waitFor(
    `${name}: calico and apiserver Available`,
    () =>
      tigeraCondition(store, 'calico', 'Available')?.status === 'True' &&
      tigeraCondition(store, 'apiserver', 'Available')?.status === 'True',
    10_000,
  );
  return { name, handle, vpc, podCidr };
}

/** The source side of federation: a ServiceAccount with read rights on what Typha syncs, and its token. */
export async function federationToken(src: MeshCluster, opts: { bind?: boolean } = {}): Promise<string> {
  const s = src.handle.store;
  const ns = 'calico-system';
  const sa = 'tigera-federation-remote-cluster';
  if (!s.get('', 'ServiceAccount', ns, sa))
    s.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: ns } });
  if (!s.get('rbac.authorization.k8s.io', 'ClusterRole', undefined, sa)) {
    s.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: sa },
      rules: [
        {
          apiGroups: [''],
          resources: ['namespaces', 'serviceaccounts', 'services', 'endpoints', 'pods', 'nodes'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['crd.projectcalico.org'],
          resources: ['hostendpoints', 'ipamblocks', 'ippools', 'workloadendpoints', 'profiles'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    });
  }
  if (opts.bind !== false && !s.get('rbac.authorization.k8s.io', 'ClusterRoleBinding', undefined, sa))
    bindFederationRole(src);
  if (!s.get('', 'Secret', ns, `${sa}-token`)) {
    s.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: `${sa}-token`, namespace: ns, annotations: { 'kubernetes.io/service-account.name': sa } },
    });
  }
  const secret = await waitFor('federation token', () => {
    const t = (s.get('', 'Secret', ns, `${sa}-token`)?.data as Record<string, string> | undefined)?.token;
    return t ? Buffer.from(t, 'base64').toString() : undefined;
  });
  return secret;
}

export function bindFederationRole(src: MeshCluster): void {
  const sa = 'tigera-federation-remote-cluster';
  src.handle.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: sa },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: sa },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: 'calico-system' }],
  });
}

export function kubeconfigFor(src: MeshCluster, token: string, server = src.handle.endpoint): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: src.name,
        cluster: { server, 'certificate-authority-data': Buffer.from(src.handle.caPem).toString('base64') },
      },
    ],
    users: [{ name: 'tigera-federation-remote-cluster', user: { token } }],
    contexts: [{ name: src.name, context: { cluster: src.name, user: 'tigera-federation-remote-cluster' } }],
    'current-context': src.name,
  });
}

export function accessSecret(name: string, namespace: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name, namespace },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

export function typhaSecretAccess(_dst: MeshCluster): KubeObject[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'remote-cluster-secret-access', namespace: 'calico-system' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'remote-cluster-secret-access', namespace: 'calico-system' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'remote-cluster-secret-access' },
      subjects: [{ kind: 'ServiceAccount', name: 'calico-typha', namespace: 'calico-system' }],
    },
  ];
}

export function remoteClusterConfiguration(
  name: string,
  secretName: string,
  secretNamespace = 'calico-system',
): KubeObject {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'RemoteClusterConfiguration',
    metadata: { name },
    spec: {
      clusterAccessSecret: { name: secretName, namespace: secretNamespace, kind: 'Secret' },
      syncOptions: { overlayRoutingMode: 'Enabled' },
    },
  };
}

/** The log of the first calico-typha pod (every replica logs the same sync lines). */
export function typhaLog(c: MeshCluster): string {
  const typha = c.handle.store
    .list('', 'Pod', 'calico-system')
    .filter((p) => p.metadata.labels?.['k8s-app'] === 'calico-typha');
  if (!typha[0]) return '';
  return c.handle.logs
    .read('calico-system', typha[0].metadata.name)
    .map((l) => `${l.text}\n`)
    .join('');
}

/** Peering requested in a's region and accepted in b's, routes both ways, VXLAN allowed both ways. */
export async function connectVpcs(motoEndpoint: string, a: MeshCluster, b: MeshCluster): Promise<string> {
  const ea = ec2(motoEndpoint, a.vpc.region);
  const eb = ec2(motoEndpoint, b.vpc.region);
  const req = await ea.send(
    new CreateVpcPeeringConnectionCommand({ VpcId: a.vpc.vpcId, PeerVpcId: b.vpc.vpcId, PeerRegion: b.vpc.region }),
  );
  const pcx = req.VpcPeeringConnection!.VpcPeeringConnectionId!;
  await eb.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
  await ea.send(
    new CreateRouteCommand({
      RouteTableId: a.vpc.routeTableId,
      DestinationCidrBlock: b.vpc.cidr,
      VpcPeeringConnectionId: pcx,
    }),
  );
  await eb.send(
    new CreateRouteCommand({
      RouteTableId: b.vpc.routeTableId,
      DestinationCidrBlock: a.vpc.cidr,
      VpcPeeringConnectionId: pcx,
    }),
  );
  await ea.send(vxlanRule(a.vpc.securityGroupId, b.vpc.cidr));
  await eb.send(vxlanRule(b.vpc.securityGroupId, a.vpc.cidr));
  return pcx;
}

export function vxlanRule(groupId: string, cidr: string): AuthorizeSecurityGroupIngressCommand {
  return new AuthorizeSecurityGroupIngressCommand({
    GroupId: groupId,
    IpPermissions: [
      {
        IpProtocol: 'udp',
        FromPort: 4789,
        ToPort: 4789,
        IpRanges: [{ CidrIp: cidr, Description: 'Calico VXLAN from peer VPC' }],
      },
    ],
  });
}
