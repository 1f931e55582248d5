// Loads and validates the mesh spec (infra/mesh.yaml) into a MeshSpec. Every problem is collected and reported
// at once, each naming the field path, what is wrong and what is allowed: a spec is fixed in one round trip.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { PermanentError } from '../errors.ts';
import { type Cidr, overlaps, parseCidr } from './cidr.ts';
import { CALICO_ENCAPSULATIONS, type ClusterSpec, type MeshSpec, type NodeGroupSpec } from './spec-types.ts';
import { nearest } from './suggest.ts';

export interface SpecProblem {
  /** Field path like `clusters[1].podCidr` ("" for the document itself). */
  path: string;
  message: string;
  /** 1-based line in the YAML source, when known. */
  line?: number;
}

/** The spec cannot be used as written; not worth a retry. */
export class SpecError extends PermanentError {
  readonly problems: SpecProblem[];
  readonly source: string;
  constructor(source: string, problems: SpecProblem[]) {
    const lines = problems.map((p) => {
      const where = p.line ? ` (line ${p.line})` : '';
      return `- ${p.path ? `${p.path}: ` : ''}${p.message}${where}`;
    });
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`mesh spec ${source} has ${count}:\n${lines.join('\n')}`, {
      code: 'InvalidSpec',
      hint: `fix ${source} and run the command again`,
    });
    this.name = 'SpecError';
    this.problems = problems;
    this.source = source;
  }
}

// ---- limits, with the reason for each -------------------------------------------------------------------

/** The mesh name goes into AWS resource names and tags next to cluster names: keep it short. */
export const MAX_MESH_NAME_LENGTH = 20;
export const STATEFULSET_PREFIX = 'multi-cluster-rs-';
/** StatefulSet names over 52 chars break the controller-revision-hash label (63 chars with a 10-char hash). */
const MAX_STATEFULSET_NAME = 52;
export const MIN_DISK_GIB = 20;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const REGION =
  /^[a-z]{2}(-gov|-iso[a-z]?)?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-\d{1,2}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const CALICO_VERSION = /^v\d+\.\d+\.\d+$/;
const KUBERNETES_VERSION = /^1\.\d{1,2}$/;
const IMAGE = /^[^\s]+$/;
/** EKS's default service CIDRs (one of them, chosen by EKS, when the cluster sets none). */
const EKS_SERVICE_RANGES = ['10.100.0.0/16', '172.20.0.0/16'];

/** Longest cluster name that keeps `multi-cluster-rs-<name>-<ordinal>` and the StatefulSet name valid. */
export function maxClusterNameLength(maxReplicas: number): number {
  const ordinalDigits = String(Math.max(0, maxReplicas - 1)).length;
  const podLimit = 63 - STATEFULSET_PREFIX.length - 1 - ordinalDigits;
  return Math.min(podLimit, MAX_STATEFULSET_NAME - STATEFULSET_PREFIX.length);
}

// ---- field schemas with messages that say what is allowed ---------------------------------------------------

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** A zod error function: "missing; expected X" or "<value> is not allowed; expected X". */
function expect(what: string) {
  return (iss: { input?: unknown }) =>
    iss.input === undefined ? `missing; expected ${what}` : `${show(iss.input)} is not allowed; expected ${what}`;
}

function pattern(re: RegExp, what: string, maxLength = Infinity) {
  const e = expect(what);
  const s = z.string({ error: e }).regex(re, { error: e });
  // .max(Infinity) would reach the JSON Schema as "maxLength": null, which editors reject.
  return (Number.isFinite(maxLength) ? s.max(maxLength, { error: e }) : s).meta({ description: what });
}

function wholeNumber(min: number, max: number, what = `a whole number from ${min} to ${max}`) {
  const e = expect(what);
  return z
    .number({ error: e })
    .int({ error: e })
    .min(min, { error: e })
    .max(max, { error: e })
    .meta({ description: what });
}

function cidrField(minPrefix: number, maxPrefix: number, why: string) {
  const what = `an IPv4 CIDR from /${minPrefix} to /${maxPrefix} (${why})`;
  return z
    .string({ error: expect(what) })
    .superRefine((v, ctx) => {
      const r = parseCidr(v);
      if (!r.ok) ctx.addIssue({ code: 'custom', message: `${show(v)} ${r.reason}; expected ${what}` });
      else if (r.cidr.prefix < minPrefix || r.cidr.prefix > maxPrefix) {
        ctx.addIssue({ code: 'custom', message: `${show(v)} is a /${r.cidr.prefix}; expected ${what}` });
      }
    })
    .meta({ description: what, pattern: String.raw`^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$` });
}

const nodeGroupShape = {
  instanceType: pattern(INSTANCE_TYPE, 'an EC2 instance type like m5.xlarge').optional(),
  desiredSize: wholeNumber(0, 450).optional(),
  minSize: wholeNumber(0, 450).optional(),
  maxSize: wholeNumber(1, 450).optional(),
  diskSizeGiB: wholeNumber(MIN_DISK_GIB, 16384, `a whole number of GiB, at least ${MIN_DISK_GIB}`).optional(),
  sshKeyName: pattern(/^\S+$/, 'the name of an EC2 key pair').optional(),
};
const NODE_GROUP_FIELDS = ['instanceType', 'desiredSize', 'minSize', 'maxSize', 'diskSizeGiB'] as const;

/** Why each encapsulation Calico knows, other than VXLAN, cannot work for a mesh of EKS clusters. */
const ENCAPSULATION_REFUSED: Record<string, string> = {
  IPIP:
    'with BGP disabled (as on EKS, and across regions) the tigera-operator refuses IPIP pools ' +
    '("IPIP encapsulation requires that BGP is enabled")',
  IPIPCrossSubnet:
    'with BGP disabled the tigera-operator refuses IPIP pools, and CrossSubnet sends traffic inside a subnet ' +
    "unencapsulated, which EC2's source/destination check drops",
  VXLANCrossSubnet:
    "CrossSubnet sends traffic inside a subnet unencapsulated, which EC2's source/destination check drops, " +
    'and routes to remote clusters need VXLAN everywhere',
  None:
    'with BGP disabled the tigera-operator refuses unencapsulated pools ' +
    '("Unencapsulated IP pools require that BGP is enabled"), and pod IPs do not route across VPCs',
};

/** The newest Calico Enterprise minor release (v3.23.1 pins tigera/operator v1.42.4); OSS is past v3.24. */
const LATEST_ENTERPRISE_MINOR = 23;
const ENTERPRISE_DEFAULT_VERSION = 'v3.23.1';
const ENTERPRISE_MANIFEST_BASE_URL = 'https://downloads.tigera.io/ee';

const calicoShape = {
  version: pattern(CALICO_VERSION, 'a Calico release like v3.31.7'),
  variant: z.enum(['enterprise', 'cloud', 'oss'], { error: expect('one of enterprise, cloud, oss') }),
  encapsulation: z
    .enum(CALICO_ENCAPSULATIONS, {
      error: expect(
        `one of ${CALICO_ENCAPSULATIONS.join(', ')} (Calico's encapsulations; only VXLAN works for a mesh)`,
      ),
    })
    .superRefine((v, ctx) => {
      const why = ENCAPSULATION_REFUSED[v];
      if (why) ctx.addIssue({ code: 'custom', message: `${v} cannot work here: ${why}; use VXLAN` });
    }),
  manifestBaseUrl: z
    .url({
      protocol: /^https?$/,
      error: expect('an http(s) URL like https://raw.githubusercontent.com/projectcalico/calico'),
    })
    .optional(),
  flowLogs: z
    .strictObject({ flushIntervalSeconds: wholeNumber(1, 3600, 'a whole number of seconds from 1 to 3600') })
    .optional(),
};

/** Calico Enterprise installs from Tigera's Enterprise manifests, with Enterprise version numbers. */
function checkEnterpriseSource(
  c: { variant: string; version: string; manifestBaseUrl?: string },
  ctx: z.RefinementCtx,
): void {
  if (c.variant !== 'enterprise') return;
  if (c.manifestBaseUrl && /projectcalico|raw\.githubusercontent\.com/.test(c.manifestBaseUrl)) {
    ctx.addIssue({
      code: 'custom',
      path: ['manifestBaseUrl'],
      message:
        `${c.manifestBaseUrl} serves Calico Open Source, whose operator has neither the Enterprise CRDs ` +
        `(LicenseKey, RemoteClusterConfiguration) nor their RBAC; for variant enterprise use ${ENTERPRISE_MANIFEST_BASE_URL} ` +
        '(or leave manifestBaseUrl out)',
    });
  }
  const minor = Number(/^v3\.(\d+)\./.exec(c.version)?.[1] ?? Number.NaN);
  if (!(minor <= LATEST_ENTERPRISE_MINOR)) {
    ctx.addIssue({
      code: 'custom',
      path: ['version'],
      message:
        `${c.version} is not a Calico Enterprise release (Enterprise is at v3.${LATEST_ENTERPRISE_MINOR}; ` +
        `numbers past that are Calico Open Source); use an Enterprise version like ${ENTERPRISE_DEFAULT_VERSION}`,
    });
  }
}

const workloadsShape = {
  namespace: pattern(DNS_LABEL, 'a Kubernetes namespace (lowercase letters, digits, -)', 63),
  replicas: wholeNumber(0, 1000),
  maxReplicas: wholeNumber(1, 1000),
  image: pattern(IMAGE, 'a container image reference like nginx:1.27'),
  netshootImage: pattern(IMAGE, 'a container image reference like nicolaka/netshoot:v0.13'),
};

const clusterShape = {
  name: pattern(
    DNS_LABEL,
    "a DNS label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
    63,
  ),
  region: pattern(REGION, 'an AWS region name like us-east-1'),
  vpcCidr: cidrField(16, 20, 'subnets are cidrsubnet(vpc, 4, k)'),
  podCidr: cidrField(8, 26, 'Calico hands out /26 blocks from it'),
  availabilityZones: z
    .array(pattern(/^[a-z0-9-]+[a-z]$/, 'an availability zone name like us-east-1a'), {
      error: expect('a list of two availability zone names'),
    })
    .optional(),
  availabilityZoneIds: z
    .array(pattern(/^[a-z]+\d-az\d+$/, 'an availability zone ID like use1-az1'), {
      error: expect('a list of two availability zone IDs'),
    })
    .optional(),
  nodeGroup: z.strictObject(nodeGroupShape).optional(),
};

function topShape(kubernetesVersionSource: string | undefined) {
  return {
    name: pattern(
      DNS_LABEL,
      `1-${MAX_MESH_NAME_LENGTH} lowercase letters, digits and '-', starting with a letter (it goes into AWS names and tags)`,
      MAX_MESH_NAME_LENGTH,
    ),
    // Absent: the newest version in standard support, read from EKS when a cluster is created.
    kubernetesVersion: z
      .unknown()
      .superRefine((v, ctx) => {
        const what = 'an EKS version as a quoted string like "1.34"';
        if (v === undefined) return;
        if (typeof v === 'number') {
          const written = kubernetesVersionSource ?? String(v);
          ctx.addIssue({
            code: 'custom',
            message: `YAML read ${written} as the number ${v}; quote it: kubernetesVersion: "${written}"`,
          });
        } else if (typeof v !== 'string' || !KUBERNETES_VERSION.test(v)) {
          ctx.addIssue({ code: 'custom', message: expect(what)({ input: v }) });
        }
      })
      .meta({
        type: 'string',
        pattern: KUBERNETES_VERSION.source,
        description: 'an EKS version as a quoted string like "1.34"',
      })
      .optional(),
    kubernetesSupport: z
      .enum(['extended', 'standard'], {
        error: expect(
          'extended (stay on the version past standard support, at the extended price) or standard (EKS upgrades it)',
        ),
      })
      .optional(),
    // Who may reach the clusters' public endpoints (meshops' workers, its people); the NAT addresses are added.
    publicAccessCidrs: z
      .array(
        cidrField(
          0,
          32,
          "a network your workers or people reach the clusters' API from; the clusters are IPv4 and EKS takes no IPv6 block on them",
        ),
        {
          error: expect('a list of IPv4 CIDRs like 203.0.113.0/24'),
        },
      )
      .min(1, { error: 'name at least one CIDR, or leave publicAccessCidrs out (the endpoints stay open to all)' })
      .optional(),
    calico: z
      .strictObject(calicoShape, { error: expect('a mapping with version, variant, encapsulation') })
      .superRefine(checkEnterpriseSource),
    nodeGroup: z.strictObject(nodeGroupShape, { error: expect('a mapping of node group settings') }).optional(),
    workloads: z.strictObject(workloadsShape, {
      error: expect('a mapping with namespace, replicas, maxReplicas, image, netshootImage'),
    }),
    clusters: z.array(
      z.strictObject(clusterShape, { error: expect('a mapping with name, region, vpcCidr, podCidr') }),
      {
        error: expect('a list of at least two clusters'),
      },
    ),
  };
}

/** The spec's zod schema as written by a user (no source text: kubernetesVersion checks the value only). */
export function meshSpecSchema() {
  return z.strictObject(topShape(undefined));
}

/** Allowed fields per place in the document, for "unknown field" messages. Indices are written []. */
const FIELDS_AT: Record<string, string[]> = {
  '': Object.keys(topShape(undefined)),
  calico: Object.keys(calicoShape),
  'calico.flowLogs': ['flushIntervalSeconds'],
  nodeGroup: Object.keys(nodeGroupShape),
  workloads: Object.keys(workloadsShape),
  'clusters[]': Object.keys(clusterShape),
  'clusters[].nodeGroup': Object.keys(nodeGroupShape),
};

// ---- paths and lines ---------------------------------------------------------------------------------------

type Path = readonly PropertyKey[];

export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function zodProblems(issues: z.core.$ZodIssue[]): Array<{ path: Path; message: string }> {
  const out: Array<{ path: Path; message: string }> = [];
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      const allowed = FIELDS_AT[formatPath(iss.path).replace(/\[\d+\]/g, '[]')] ?? [];
      for (const key of iss.keys) {
        const guess = nearest(key, allowed);
        const hint = guess ? `did you mean ${guess}? ` : '';
        out.push({ path: [...iss.path, key], message: `unknown field; ${hint}allowed here: ${allowed.join(', ')}` });
      }
    } else {
      out.push({ path: iss.path, message: iss.message });
    }
  }
  return out;
}

// ---- rules across fields -----------------------------------------------------------------------------------

type Raw = Record<string, unknown>;
const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** "Public endpoint access CIDR ranges per cluster" (EKS service quotas; also src/mesh/aws/endpoint-access.ts). */
const EKS_MAX_PUBLIC_ACCESS_CIDRS = 40;

function crossFieldProblems(raw: Raw): Array<{ path: Path; message: string }> {
  const out: Array<{ path: Path; message: string }> = [];
  const clusters = Array.isArray(raw.clusters) ? raw.clusters : undefined;
  if (clusters && clusters.length < 2) {
    out.push({
      path: ['clusters'],
      message: `has ${clusters.length} cluster(s); a mesh needs at least two clusters, each in its own region`,
    });
  }
  const workloads = isMap(raw.workloads) ? raw.workloads : {};
  const maxReplicas = isWhole(workloads.maxReplicas) && workloads.maxReplicas >= 1 ? workloads.maxReplicas : undefined;
  if (isWhole(workloads.replicas) && maxReplicas !== undefined && workloads.replicas > maxReplicas) {
    out.push({
      path: ['workloads', 'replicas'],
      message: `${workloads.replicas} is above workloads.maxReplicas ${maxReplicas}; allowed: 0 to ${maxReplicas}`,
    });
  }
  if (!clusters) return out;

  // EKS admits 40 CIDR blocks per public endpoint (EKS service quotas, not adjustable), and meshops adds every NAT
  // address of the mesh to the spec's (two per cluster, one per AZ): say it here rather than after `up` has built.
  if (Array.isArray(raw.publicAccessCidrs)) {
    const nat = 2 * clusters.length;
    const room = EKS_MAX_PUBLIC_ACCESS_CIDRS - nat;
    const named = new Set(raw.publicAccessCidrs).size;
    if (named > room) {
      out.push({
        path: ['publicAccessCidrs'],
        message: `names ${named} CIDRs; at most ${room} fit: EKS admits ${EKS_MAX_PUBLIC_ACCESS_CIDRS} per endpoint and meshops adds the mesh's ${nat} NAT addresses (two per cluster); name fewer, wider networks`,
      });
    }
  }

  const entries = clusters.map((c, i) => ({ i, c: isMap(c) ? c : {} }));
  const label = (i: number) => {
    const n = entries[i].c.name;
    return typeof n === 'string' ? ` (${n})` : '';
  };

  // Names: unique, and short enough for pod names.
  const nameLimit = maxClusterNameLength(maxReplicas ?? 20);
  const seenName = new Map<string, number>();
  const seenRegion = new Map<string, number>();
  for (const { i, c } of entries) {
    if (typeof c.name === 'string') {
      const first = seenName.get(c.name);
      if (first !== undefined) {
        out.push({
          path: ['clusters', i, 'name'],
          message: `"${c.name}" is already the name of clusters[${first}]; cluster names must be unique`,
        });
      } else seenName.set(c.name, i);
      if (DNS_LABEL.test(c.name) && c.name.length > nameLimit) {
        out.push({
          path: ['clusters', i, 'name'],
          message: `"${c.name}" has ${c.name.length} characters; at most ${nameLimit} so that pod names like ${STATEFULSET_PREFIX}${c.name}-0 stay valid DNS labels`,
        });
      }
    }
    if (typeof c.region === 'string') {
      const first = seenRegion.get(c.region);
      if (first !== undefined) {
        out.push({
          path: ['clusters', i, 'region'],
          message: `${c.region} is also the region of clusters[${first}]${label(first)}; one cluster per region (each region gets its own VPC, peered across regions)`,
        });
      } else seenRegion.set(c.region, i);
    }
    if (Array.isArray(c.availabilityZones)) {
      const zones = c.availabilityZones;
      if (zones.length !== 2) {
        out.push({
          path: ['clusters', i, 'availabilityZones'],
          message: `lists ${zones.length} zone(s); expected exactly 2 (the subnet layout uses two AZs)`,
        });
      }
      if (typeof c.region === 'string' && REGION.test(c.region)) {
        zones.forEach((z, k) => {
          if (typeof z === 'string' && !new RegExp(`^${c.region}[a-z]$`).test(z)) {
            out.push({
              path: ['clusters', i, 'availabilityZones', k],
              message: `"${z}" is not a zone of ${c.region}; expected ${c.region} followed by a letter, like ${c.region}a`,
            });
          }
        });
      }
      if (zones.length === 2 && zones[0] === zones[1]) {
        out.push({
          path: ['clusters', i, 'availabilityZones', 1],
          message: `repeats ${String(zones[0])}; the two zones must differ`,
        });
      }
    }
    if (Array.isArray(c.availabilityZoneIds)) {
      const ids = c.availabilityZoneIds;
      const path = ['clusters', i, 'availabilityZoneIds'];
      if (c.availabilityZones) {
        out.push({
          path,
          message: 'given with availabilityZones; name the zones one way (zone IDs are the same in every account)',
        });
      }
      if (ids.length !== 2)
        out.push({
          path,
          message: `lists ${ids.length} zone ID(s); expected exactly 2 (the subnet layout uses two AZs)`,
        });
      if (ids.length === 2 && ids[0] === ids[1]) {
        out.push({ path: [...path, 1], message: `repeats ${String(ids[0])}; the two zones must differ` });
      }
    }
  }

  // CIDRs: VPC with VPC, pod with pod, pod with any VPC. Only well-formed ones are compared.
  type Range = { i: number; field: 'vpcCidr' | 'podCidr'; cidr: Cidr };
  const ranges: Range[] = [];
  for (const { i, c } of entries) {
    for (const field of ['vpcCidr', 'podCidr'] as const) {
      const v = c[field];
      if (typeof v !== 'string') continue;
      const r = parseCidr(v);
      if (r.ok) ranges.push({ i, field, cidr: r.cidr });
    }
  }
  for (let a = 0; a < ranges.length; a++) {
    for (let b = a + 1; b < ranges.length; b++) {
      const x = ranges[a];
      const y = ranges[b];
      if (x.field === 'vpcCidr' && y.field === 'vpcCidr' && x.i === y.i) continue;
      if (!overlaps(x.cidr, y.cidr)) continue;
      out.push({
        path: ['clusters', y.i, y.field],
        message: `${y.cidr.text} overlaps clusters[${x.i}].${x.field} ${x.cidr.text}${label(x.i)}; every VPC and pod CIDR in the mesh must be distinct so routes between clusters are unambiguous`,
      });
    }
  }

  // EKS picks the service range itself (this spec does not set serviceIpv4Cidr): pods must stay out of both.
  for (const r of ranges) {
    if (r.field !== 'podCidr') continue;
    const clash = EKS_SERVICE_RANGES.find((s) => overlaps(r.cidr, s));
    if (clash) {
      out.push({
        path: ['clusters', r.i, 'podCidr'],
        message: `${r.cidr.text} overlaps ${clash}, a range EKS may assign to Kubernetes services (it uses 10.100.0.0/16 or 172.20.0.0/16); pick a pod CIDR outside both, like 192.168.${r.i + 1}.0/24`,
      });
    }
  }

  // Node groups: the top-level group merged with each cluster's override.
  const top = isMap(raw.nodeGroup) ? raw.nodeGroup : {};
  const topProblems = new Set<string>();
  const mapped = entries.filter(({ i }) => isMap(clusters[i]));
  for (const k of NODE_GROUP_FIELDS) {
    if (top[k] !== undefined) continue;
    const lacking = mapped.filter(({ c }) => !isMap(c.nodeGroup) || c.nodeGroup[k] === undefined);
    if (lacking.length > 0 && lacking.length === mapped.length) {
      out.push({
        path: ['nodeGroup', k],
        message: "missing; set it in nodeGroup (every cluster) or in each cluster's nodeGroup",
      });
    } else {
      for (const { i } of lacking) {
        out.push({
          path: ['clusters', i, 'nodeGroup', k],
          message: `missing; set it in nodeGroup (every cluster) or clusters[${i}].nodeGroup`,
        });
      }
    }
  }
  for (const { i, c } of mapped) {
    const own = isMap(c.nodeGroup) ? c.nodeGroup : {};
    const from = (k: string): Path => (k in own ? ['clusters', i, 'nodeGroup', k] : ['nodeGroup', k]);
    const val = (k: string) => (k in own ? own[k] : top[k]);
    const pairs: Array<[string, string, string]> = [
      ['desiredSize', 'maxSize', 'is greater than'],
      ['minSize', 'desiredSize', 'is greater than'],
    ];
    for (const [lo, hi, verb] of pairs) {
      const l = val(lo);
      const h = val(hi);
      if (!isWhole(l) || !isWhole(h) || l <= h) continue;
      const path = from(lo);
      const message = `${l} ${verb} ${hi} ${h} (${formatPath(from(hi))}); allowed: minSize <= desiredSize <= maxSize`;
      const key = `${formatPath(path)} ${message}`;
      if (topProblems.has(key)) continue; // a top-level mistake is reported once, not once per cluster
      topProblems.add(key);
      out.push({ path, message });
    }
  }
  return out;
}

// ---- building the MeshSpec ---------------------------------------------------------------------------------

const OSS_MANIFEST_BASE_URL = 'https://raw.githubusercontent.com/projectcalico/calico';

/** Enterprise from Tigera's Enterprise manifests; OSS, and Calico Cloud (which joins an OSS cluster), from Calico's. */
function defaultManifestBaseUrl(variant: string): string {
  return variant === 'enterprise' ? ENTERPRISE_MANIFEST_BASE_URL : OSS_MANIFEST_BASE_URL;
}

function mergeNodeGroup(
  top: Partial<NodeGroupSpec> | undefined,
  own: Partial<NodeGroupSpec> | undefined,
): NodeGroupSpec {
  const m = { ...top, ...own } as NodeGroupSpec;
  const out: NodeGroupSpec = {
    instanceType: m.instanceType,
    desiredSize: m.desiredSize,
    minSize: m.minSize,
    maxSize: m.maxSize,
    diskSizeGiB: m.diskSizeGiB,
  };
  if (m.sshKeyName !== undefined) out.sshKeyName = m.sshKeyName;
  return out;
}

type Parsed = z.infer<z.ZodObject<ReturnType<typeof topShape>>>;

function build(p: Parsed): MeshSpec {
  const clusters: ClusterSpec[] = p.clusters.map((c) => {
    const out: ClusterSpec = {
      name: c.name,
      region: c.region,
      vpcCidr: c.vpcCidr,
      podCidr: c.podCidr,
      nodeGroup: mergeNodeGroup(p.nodeGroup, c.nodeGroup),
    };
    if (c.availabilityZones) out.availabilityZones = [...c.availabilityZones];
    if (c.availabilityZoneIds) out.availabilityZoneIds = [...c.availabilityZoneIds];
    return out;
  });
  const calico: MeshSpec['calico'] = {
    version: p.calico.version,
    variant: p.calico.variant,
    encapsulation: p.calico.encapsulation,
    manifestBaseUrl: (p.calico.manifestBaseUrl ?? defaultManifestBaseUrl(p.calico.variant)).replace(/\/+$/, ''),
  };
  if (p.calico.flowLogs) calico.flowLogs = { ...p.calico.flowLogs };
  return {
    name: p.name,
    ...(p.kubernetesVersion === undefined ? {} : { kubernetesVersion: p.kubernetesVersion as string }),
    kubernetesSupport: p.kubernetesSupport ?? 'extended',
    ...(p.publicAccessCidrs === undefined ? {} : { publicAccessCidrs: [...p.publicAccessCidrs] }),
    calico,
    workloads: { ...p.workloads },
    clusters,
  };
}

// ---- entry points ------------------------------------------------------------------------------------------

/** Parses and validates spec YAML; `source` names it in errors (a path or "inline"). Throws SpecError. */
export function parseSpec(yamlText: string, source: string): MeshSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      source,
      doc.errors.map((e) => ({ path: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  const raw: unknown = doc.toJS();
  if (!isMap(raw)) {
    throw new SpecError(source, [
      {
        path: '',
        message: `expected a mapping with ${FIELDS_AT[''].join(', ')}; found ${raw === undefined || raw === null ? 'an empty document' : show(raw)}`,
      },
    ]);
  }

  const lineOf = (path: Path): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };

  const kvNode = doc.getIn(['kubernetesVersion'], true) as { range?: [number, number, number] } | undefined;
  const kvSource = kvNode?.range ? yamlText.slice(kvNode.range[0], kvNode.range[1]) : undefined;
  const schema = z.strictObject(topShape(kvSource));
  const result = schema.safeParse(raw);
  const found = [...(result.success ? [] : zodProblems(result.error.issues)), ...crossFieldProblems(raw)];
  if (found.length > 0 || !result.success) {
    const problems = found.map((p) => ({ path: formatPath(p.path), message: p.message, line: lineOf(p.path) }));
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new SpecError(source, problems);
  }
  return build(result.data);
}

/** Reads and validates the spec file. Throws SpecError, also when the file cannot be read. */
export function loadSpec(path: string): MeshSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SpecError(path, [
      { path: '', message: `cannot read the file (${code}); set MESH_SPEC to the mesh spec's path` },
    ]);
  }
  return parseSpec(text, path);
}
