import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadSpec, parseSpec, SpecError, type SpecProblem } from '../../../src/config/spec.ts';
import { PermanentError } from '../../../src/errors.ts';

const MESH_YAML = new URL('../../../infra/mesh.yaml', import.meta.url).pathname;
const meshText = readFileSync(MESH_YAML, 'utf8');

type RawSpec = Record<string, any>;
/** infra/mesh.yaml as plain data, changed by `edit`, back to YAML. */
function specYaml(edit: (s: RawSpec) => void = () => {}): string {
  const s = parse(meshText) as RawSpec;
  edit(s);
  return stringify(s);
}

function problemsOf(text: string): SpecProblem[] {
  try {
    parseSpec(text, 'test.yaml');
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  throw new Error('expected the spec to be rejected');
}

const threeClusters = (s: RawSpec) => {
  s.clusters.push({ name: 'fra', region: 'eu-central-1', vpcCidr: '10.2.0.0/16', podCidr: '192.168.3.0/24' });
};

describe('valid specs', () => {
  it('infra/mesh.yaml itself is valid, with the top-level node group applied to each cluster', () => {
    const spec = loadSpec(MESH_YAML);
    expect(spec.name).toBe('demo');
    // Not pinned: the newest version in standard support is read from EKS (issue 9, item 2).
    expect(spec.kubernetesVersion).toBeUndefined();
    expect(spec.kubernetesSupport).toBe('extended');
    expect(spec.calico).toMatchObject({ version: 'v3.23.1', variant: 'enterprise', encapsulation: 'VXLAN' });
    expect(spec.clusters.map((c) => [c.name, c.region, c.vpcCidr, c.podCidr])).toEqual([
      ['iad', 'us-east-1', '10.0.0.0/16', '192.168.1.0/24'],
      ['pdx', 'us-west-2', '10.1.0.0/16', '192.168.2.0/24'],
    ]);
    for (const c of spec.clusters) {
      expect(c.nodeGroup).toEqual({
        instanceType: 'm5.xlarge',
        desiredSize: 3,
        minSize: 0,
        maxSize: 8,
        diskSizeGiB: 100,
      });
      expect(c.availabilityZones).toBeUndefined();
    }
    // Plain data: survives JSON unchanged (it travels in job payloads).
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('a three-cluster spec is valid', () => {
    const spec = parseSpec(specYaml(threeClusters), 'three.yaml');
    expect(spec.clusters.map((c) => c.name)).toEqual(['iad', 'pdx', 'fra']);
    expect(spec.clusters[2].nodeGroup.instanceType).toBe('m5.xlarge');
  });

  it("merges a cluster's own nodeGroup over the top-level one", () => {
    const spec = parseSpec(
      specYaml((s) => (s.clusters[1].nodeGroup = { desiredSize: 1, instanceType: 'm6i.large' })),
      't',
    );
    expect(spec.clusters[0].nodeGroup.desiredSize).toBe(3);
    expect(spec.clusters[1].nodeGroup).toEqual({
      instanceType: 'm6i.large',
      desiredSize: 1,
      minSize: 0,
      maxSize: 8,
      diskSizeGiB: 100,
    });
  });

  it('needs no top-level nodeGroup when every cluster has a complete one', () => {
    const spec = parseSpec(
      specYaml((s) => {
        const ng = s.nodeGroup;
        delete s.nodeGroup;
        for (const c of s.clusters) c.nodeGroup = { ...ng, sshKeyName: 'ops' };
      }),
      't',
    );
    expect(spec.clusters[1].nodeGroup.sshKeyName).toBe('ops');
  });

  it('keeps availabilityZones and defaults the manifest URL', () => {
    const spec = parseSpec(
      specYaml((s) => {
        s.clusters[0].availabilityZones = ['us-east-1a', 'us-east-1c'];
        delete s.calico.manifestBaseUrl;
        delete s.calico.flowLogs;
      }),
      't',
    );
    expect(spec.clusters[0].availabilityZones).toEqual(['us-east-1a', 'us-east-1c']);
    expect(
      parseSpec(
        specYaml((s) => (s.clusters[1].availabilityZoneIds = ['usw2-az1', 'usw2-az3'])),
        't',
      ).clusters[1].availabilityZoneIds,
    ).toEqual(['usw2-az1', 'usw2-az3']);
    expect(spec.calico.manifestBaseUrl).toBe('https://downloads.tigera.io/ee');
    expect(spec.calico.flowLogs).toBeUndefined();
  });
});

describe('each rule names the field, what is wrong and what is allowed', () => {
  const longName = 'a'.repeat(36);
  it.each<[string, (s: RawSpec) => void, string, RegExp]>([
    // fields
    ['unknown top-level field', (s) => (s.nmae = 'x'), 'nmae', /unknown field; did you mean name\?/],
    [
      'unknown cluster field',
      (s) => (s.clusters[1].vpcCIDR = '10.9.0.0/16'),
      'clusters[1].vpcCIDR',
      /did you mean vpcCidr\?.*allowed here: name, region, vpcCidr/,
    ],
    [
      'unknown node group field',
      (s) => (s.nodeGroup.size = 3),
      'nodeGroup.size',
      /unknown field; .*allowed here: instanceType/,
    ],
    ['missing mesh name', (s) => delete s.name, 'name', /missing; expected 1-20 lowercase/],
    ['missing podCidr', (s) => delete s.clusters[0].podCidr, 'clusters[0].podCidr', /missing; expected an IPv4 CIDR/],
    ['missing workloads', (s) => delete s.workloads, 'workloads', /missing; expected a mapping with namespace/],
    // names
    [
      'mesh name with capitals',
      (s) => (s.name = 'Demo'),
      'name',
      /"Demo" is not allowed; expected 1-20 lowercase letters/,
    ],
    ['mesh name over 20 chars', (s) => (s.name = 'a'.repeat(21)), 'name', /expected 1-20/],
    [
      'cluster name with capitals',
      (s) => (s.clusters[0].name = 'IAD'),
      'clusters[0].name',
      /"IAD" is not allowed; expected a DNS label/,
    ],
    [
      'cluster name starting with a digit',
      (s) => (s.clusters[0].name = '1ad'),
      'clusters[0].name',
      /starting with a letter/,
    ],
    [
      'cluster name ending in -',
      (s) => (s.clusters[0].name = 'iad-'),
      'clusters[0].name',
      /ending with a letter or digit/,
    ],
    [
      'cluster name too long for pod names',
      (s) => (s.clusters[0].name = longName),
      'clusters[0].name',
      /at most 35 so that pod names like multi-cluster-rs-a+-0/,
    ],
    [
      'duplicate cluster names',
      (s) => (s.clusters[1].name = 'iad'),
      'clusters[1].name',
      /"iad" is already the name of clusters\[0\]; cluster names must be unique/,
    ],
    [
      'two clusters in one region',
      (s) => (s.clusters[1].region = 'us-east-1'),
      'clusters[1].region',
      /also the region of clusters\[0\] \(iad\); one cluster per region/,
    ],
    ['a single cluster', (s) => s.clusters.pop(), 'clusters', /has 1 cluster\(s\); a mesh needs at least two/],
    // CIDRs
    [
      'VPC CIDR in bad notation',
      (s) => (s.clusters[0].vpcCidr = '10.0.0/16'),
      'clusters[0].vpcCidr',
      /"10.0.0\/16" is not IPv4 CIDR notation.*expected an IPv4 CIDR from \/16 to \/20/,
    ],
    [
      'VPC CIDR too small',
      (s) => (s.clusters[0].vpcCidr = '10.0.0.0/24'),
      'clusters[0].vpcCidr',
      /is a \/24; expected an IPv4 CIDR from \/16 to \/20 \(subnets are cidrsubnet\(vpc, 4, k\)\)/,
    ],
    [
      'VPC CIDR too large',
      (s) => (s.clusters[0].vpcCidr = '10.0.0.0/8'),
      'clusters[0].vpcCidr',
      /is a \/8; expected .* \/16 to \/20/,
    ],
    [
      'VPC CIDR with host bits',
      (s) => (s.clusters[0].vpcCidr = '10.0.0.1/16'),
      'clusters[0].vpcCidr',
      /did you mean 10.0.0.0\/16\?/,
    ],
    [
      'VPC overlapping VPC',
      (s) => (s.clusters[1].vpcCidr = '10.0.128.0/17'),
      'clusters[1].vpcCidr',
      /10.0.128.0\/17 overlaps clusters\[0\].vpcCidr 10.0.0.0\/16 \(iad\)/,
    ],
    [
      'pod overlapping pod',
      (s) => (s.clusters[1].podCidr = '192.168.1.128/25'),
      'clusters[1].podCidr',
      /overlaps clusters\[0\].podCidr 192.168.1.0\/24/,
    ],
    [
      'pod overlapping another VPC',
      (s) => (s.clusters[0].podCidr = '10.1.5.0/24'),
      'clusters[1].vpcCidr',
      /10.1.0.0\/16 overlaps clusters\[0\].podCidr 10.1.5.0\/24/,
    ],
    [
      'pod overlapping its own VPC',
      (s) => (s.clusters[0].podCidr = '10.0.200.0/24'),
      'clusters[0].podCidr',
      /overlaps clusters\[0\].vpcCidr 10.0.0.0\/16/,
    ],
    [
      'pod CIDR inside an EKS service range',
      (s) => (s.clusters[1].podCidr = '172.20.4.0/24'),
      'clusters[1].podCidr',
      /172.20.4.0\/24 overlaps 172.20.0.0\/16, a range EKS may assign to Kubernetes services/,
    ],
    [
      'pod CIDR smaller than a Calico block',
      (s) => (s.clusters[0].podCidr = '192.168.1.0/28'),
      'clusters[0].podCidr',
      /\/8 to \/26/,
    ],
    // regions and zones
    [
      'region in the wrong format',
      (s) => (s.clusters[0].region = 'us-east'),
      'clusters[0].region',
      /"us-east" is not allowed; expected an AWS region name like us-east-1/,
    ],
    ['region in capitals', (s) => (s.clusters[0].region = 'US-EAST-1'), 'clusters[0].region', /AWS region name/],
    [
      'one availability zone',
      (s) => (s.clusters[0].availabilityZones = ['us-east-1a']),
      'clusters[0].availabilityZones',
      /lists 1 zone\(s\); expected exactly 2/,
    ],
    [
      'a zone of another region',
      (s) => (s.clusters[0].availabilityZones = ['us-east-1a', 'us-west-2a']),
      'clusters[0].availabilityZones[1]',
      /"us-west-2a" is not a zone of us-east-1/,
    ],
    [
      'the same zone twice',
      (s) => (s.clusters[0].availabilityZones = ['us-east-1a', 'us-east-1a']),
      'clusters[0].availabilityZones[1]',
      /must differ/,
    ],
    [
      'a zone name given as zone ID',
      (s) => (s.clusters[0].availabilityZoneIds = ['us-east-1a', 'use1-az1']),
      'clusters[0].availabilityZoneIds[0]',
      /expected an availability zone ID like use1-az1/,
    ],
    [
      'one zone ID',
      (s) => (s.clusters[0].availabilityZoneIds = ['use1-az1']),
      'clusters[0].availabilityZoneIds',
      /lists 1 zone ID\(s\); expected exactly 2/,
    ],
    // node groups
    [
      'desiredSize above maxSize',
      (s) => (s.nodeGroup.desiredSize = 9),
      'nodeGroup.desiredSize',
      /9 is greater than maxSize 8 \(nodeGroup.maxSize\); allowed: minSize <= desiredSize <= maxSize/,
    ],
    [
      'minSize above desiredSize in a cluster override',
      (s) => (s.clusters[1].nodeGroup = { minSize: 2, desiredSize: 1 }),
      'clusters[1].nodeGroup.minSize',
      /2 is greater than desiredSize 1 \(clusters\[1\].nodeGroup.desiredSize\)/,
    ],
    [
      'fractional desiredSize',
      (s) => (s.nodeGroup.desiredSize = 2.5),
      'nodeGroup.desiredSize',
      /2.5 is not allowed; expected a whole number/,
    ],
    ['disk under 20 GiB', (s) => (s.nodeGroup.diskSizeGiB = 10), 'nodeGroup.diskSizeGiB', /at least 20/],
    [
      'instance type without a size',
      (s) => (s.nodeGroup.instanceType = 'm5'),
      'nodeGroup.instanceType',
      /"m5" is not allowed; expected an EC2 instance type like m5.xlarge/,
    ],
    [
      'no node group anywhere',
      (s) => delete s.nodeGroup,
      'nodeGroup.instanceType',
      /missing; set it in nodeGroup \(every cluster\) or in each cluster's nodeGroup/,
    ],
    [
      'a node group field only some clusters set',
      (s) => {
        delete s.nodeGroup.diskSizeGiB;
        s.clusters[0].nodeGroup = { diskSizeGiB: 50 };
      },
      'clusters[1].nodeGroup.diskSizeGiB',
      /missing; set it in nodeGroup \(every cluster\) or clusters\[1\].nodeGroup/,
    ],
    [
      'a cluster that is not a mapping',
      (s) => (s.clusters[1] = 'pdx'),
      'clusters[1]',
      /"pdx" is not allowed; expected a mapping with name, region, vpcCidr, podCidr/,
    ],
    // calico
    [
      'unknown encapsulation',
      (s) => (s.calico.encapsulation = 'vxlan'),
      'calico.encapsulation',
      /"vxlan" is not allowed; expected one of VXLAN, VXLANCrossSubnet, IPIP, IPIPCrossSubnet, None/,
    ],
    ['unknown variant', (s) => (s.calico.variant = 'free'), 'calico.variant', /expected one of enterprise, cloud, oss/],
    [
      'version without v',
      (s) => (s.calico.version = '3.31.7'),
      'calico.version',
      /expected a Calico release like v3.31.7/,
    ],
    // kubernetes version and workloads
    [
      'kubernetesVersion with a patch',
      (s) => (s.kubernetesVersion = '1.34.1'),
      'kubernetesVersion',
      /"1.34.1" is not allowed; expected an EKS version as a quoted string like "1.34"/,
    ],
    [
      'replicas above maxReplicas',
      (s) => (s.workloads.replicas = 21),
      'workloads.replicas',
      /21 is above workloads.maxReplicas 20; allowed: 0 to 20/,
    ],
    [
      'negative replicas',
      (s) => (s.workloads.replicas = -1),
      'workloads.replicas',
      /-1 is not allowed; expected a whole number from 0/,
    ],
  ])('%s', (_what, edit, path, message) => {
    const problems = problemsOf(specYaml(edit));
    const hit = problems.find((p) => p.path === path);
    expect(hit, `no problem at ${path}; got ${JSON.stringify(problems)}`).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it('reports a missing node group once, not once per cluster', () => {
    const problems = problemsOf(specYaml((s) => delete s.nodeGroup));
    expect(problems.map((p) => p.path)).toEqual([
      'nodeGroup.instanceType',
      'nodeGroup.desiredSize',
      'nodeGroup.minSize',
      'nodeGroup.maxSize',
      'nodeGroup.diskSizeGiB',
    ]);
  });

  it('hints to quote kubernetesVersion when YAML read it as a number', () => {
    const problems = problemsOf(meshText.replace(/^# kubernetesVersion: "1\.35".*$/m, 'kubernetesVersion: 1.30'));
    expect(problems).toEqual([
      {
        path: 'kubernetesVersion',
        line: 4,
        message: 'YAML read 1.30 as the number 1.3; quote it: kubernetesVersion: "1.30"',
      },
    ]);
  });

  it('lists every problem at once, in file order, with lines', () => {
    let err: unknown;
    try {
      parseSpec(
        specYaml((s) => {
          s.name = 'Demo';
          s.calico.variant = 'free';
          s.clusters[1].region = 'us-east-1';
          s.clusters[1].podCidr = '192.168.1.0/24';
        }),
        'many.yaml',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect(err).toBeInstanceOf(PermanentError);
    const e = err as SpecError;
    expect(e.code).toBe('InvalidSpec');
    expect(e.problems.map((p) => p.path)).toEqual([
      'name',
      'calico.variant',
      'clusters[1].region',
      'clusters[1].podCidr',
    ]);
    expect(e.message).toMatch(/^mesh spec many.yaml has 4 problems:\n- name: /);
    expect(e.problems.every((p) => typeof p.line === 'number')).toBe(true);
  });

  it.each([
    ['not YAML', 'name: [demo', /not valid YAML/],
    ['an empty document', '', /expected a mapping with name, kubernetesVersion.*found an empty document/],
    ['a list at the top', '- a\n- b\n', /found a list/],
  ])('rejects %s', (_what, text, message) => {
    expect(problemsOf(text)[0].message).toMatch(message);
  });

  it('says when the file cannot be read', () => {
    expect(() => loadSpec('/nonexistent/mesh.yaml')).toThrow(/cannot read the file \(ENOENT\); set MESH_SPEC/);
  });
});
