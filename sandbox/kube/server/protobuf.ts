// kubectl's typed commands (`auth can-i`, `auth whoami`, `create namespace|serviceaccount|secret|configmap|role|
// rolebinding|clusterrole|clusterrolebinding`)
// send Kubernetes protobuf bodies. This decodes those few kinds into the JSON shape; others get 415 as from a
// server that does not speak protobuf for them. Field numbers are the ones in the API's generated.proto.
import { ApiError } from './status.ts';

type FieldType = 's' | 'i' | 'b' | 'y' | { m: Schema } | { map: 's' | 'y' } | { rep: 's' | { m: Schema } };
type Schema = Record<number, [string, FieldType]>;

const objectMeta: Schema = {
  1: ['name', 's'],
  2: ['generateName', 's'],
  3: ['namespace', 's'],
  5: ['uid', 's'],
  6: ['resourceVersion', 's'],
  11: ['labels', { map: 's' }],
  12: ['annotations', { map: 's' }],
  14: ['finalizers', { rep: 's' }],
};
const resourceAttributes: Schema = {
  1: ['namespace', 's'],
  2: ['verb', 's'],
  3: ['group', 's'],
  4: ['version', 's'],
  5: ['resource', 's'],
  6: ['subresource', 's'],
  7: ['name', 's'],
};
const nonResourceAttributes: Schema = { 1: ['path', 's'], 2: ['verb', 's'] };
const meta: [string, FieldType] = ['metadata', { m: objectMeta }];
const policyRule: Schema = {
  1: ['verbs', { rep: 's' }],
  2: ['apiGroups', { rep: 's' }],
  3: ['resources', { rep: 's' }],
  4: ['resourceNames', { rep: 's' }],
  5: ['nonResourceURLs', { rep: 's' }],
};
const subject: Schema = { 1: ['kind', 's'], 2: ['apiGroup', 's'], 3: ['name', 's'], 4: ['namespace', 's'] };
const roleRef: Schema = { 1: ['apiGroup', 's'], 2: ['kind', 's'], 3: ['name', 's'] };
const binding: Schema = { 1: meta, 2: ['subjects', { rep: { m: subject } }], 3: ['roleRef', { m: roleRef }] };

const KINDS: Record<string, Schema> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: meta,
    2: [
      'spec',
      {
        m: {
          1: ['resourceAttributes', { m: resourceAttributes }],
          2: ['nonResourceAttributes', { m: nonResourceAttributes }],
        },
      },
    ],
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': { 1: meta, 2: ['spec', { m: { 1: ['namespace', 's'] } }] },
  'authorization.k8s.io/v1/SubjectAccessReview': {
    1: meta,
    2: [
      'spec',
      {
        m: {
          1: ['resourceAttributes', { m: resourceAttributes }],
          2: ['nonResourceAttributes', { m: nonResourceAttributes }],
          3: ['user', 's'],
          4: ['groups', { rep: 's' }],
          6: ['uid', 's'],
        },
      },
    ],
  },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: meta },
  'rbac.authorization.k8s.io/v1/Role': { 1: meta, 2: ['rules', { rep: { m: policyRule } }] },
  'rbac.authorization.k8s.io/v1/ClusterRole': { 1: meta, 2: ['rules', { rep: { m: policyRule } }] },
  'rbac.authorization.k8s.io/v1/RoleBinding': binding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': binding,
  'authentication.k8s.io/v1/TokenRequest': {
    1: meta,
    2: ['spec', { m: { 1: ['audiences', { rep: 's' }], 4: ['expirationSeconds', 'i'] } }],
  },
  'v1/Namespace': { 1: meta, 2: ['spec', { m: { 1: ['finalizers', { rep: 's' }] } }] },
  'v1/ServiceAccount': {
    1: meta,
    3: ['imagePullSecrets', { rep: { m: { 1: ['name', 's'] } } }],
    4: ['automountServiceAccountToken', 'b'],
  },
  'v1/ConfigMap': { 1: meta, 2: ['data', { map: 's' }], 3: ['binaryData', { map: 'y' }], 4: ['immutable', 'b'] },
  'v1/Secret': {
    1: meta,
    2: ['data', { map: 'y' }],
    3: ['type', 's'],
    4: ['stringData', { map: 's' }],
    5: ['immutable', 'b'],
  },
};

class Reader {
  private i = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  get done(): boolean {
    return this.i >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.i >= this.buf.length) throw new Error('truncated varint');
      const byte = this.buf[this.i++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  }
  bytes(): Buffer {
    const len = this.varint();
    const out = this.buf.subarray(this.i, this.i + len);
    this.i += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.i += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    const spec = schema[field];
    if (!spec) {
      r.skip(wire);
      continue;
    }
    const [name, type] = spec;
    if (type === 'i' || type === 'b') {
      const v = r.varint();
      if (type === 'b') out[name] = v !== 0;
      else if (v !== 0) out[name] = v;
    } else if (type === 's') {
      const v = r.bytes().toString('utf8');
      if (v !== '') out[name] = v;
    } else if (type === 'y') out[name] = r.bytes().toString('base64');
    else if ('m' in type) out[name] = decodeMessage(r.bytes(), type.m);
    else if ('map' in type) {
      const entry = new Reader(r.bytes());
      let key = '';
      let value = '';
      while (!entry.done) {
        const t = entry.varint();
        const b = entry.bytes();
        if (t >> 3 === 1) key = b.toString('utf8');
        else value = type.map === 'y' ? b.toString('base64') : b.toString('utf8');
      }
      out[name] = { ...((out[name] as Record<string, string> | undefined) ?? {}), [key]: value };
    } else {
      const item = type.rep === 's' ? r.bytes().toString('utf8') : decodeMessage(r.bytes(), type.rep.m);
      out[name] = [...((out[name] as unknown[] | undefined) ?? []), item];
    }
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a protobuf-encoded request body of a supported kind into its JSON form. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw new ApiError(400, 'BadRequest', 'protobuf body without the k8s envelope');
  let envelope: Record<string, unknown>;
  try {
    envelope = decodeMessage(body.subarray(4), {
      1: ['typeMeta', { m: { 1: ['apiVersion', 's'], 2: ['kind', 's'] } }],
      2: ['raw', 'y'],
    });
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `malformed protobuf body: ${(err as Error).message}`);
  }
  const typeMeta = (envelope['typeMeta'] ?? {}) as { apiVersion?: string; kind?: string };
  const schema = KINDS[`${typeMeta.apiVersion}/${typeMeta.kind}`];
  if (!schema) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml`,
    );
  }
  const raw = Buffer.from(String(envelope['raw'] ?? ''), 'base64');
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(raw, schema) };
}
