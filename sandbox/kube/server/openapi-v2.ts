// The least OpenAPI v2 (/openapi/v2) older kubectl needs: kubectl 1.27 asks it, not v3, whether the server takes
// fieldValidation for a kind, and fails the command when it gets no document. Like openapi.ts: one PATCH
// operation per resource with its query parameters and x-kubernetes-group-version-kind, no schemas. kubectl reads
// it as gnostic's OpenAPIv2 protobuf (field numbers from gnostic's openapiv2/OpenAPIv2.proto).
import type { Registry } from './registry.ts';

/** What kube-apiserver answers to kubectl's Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** A length-delimited field (string or message). */
function field(no: number, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from([...varint((no << 3) | 2), ...varint(bytes.length)]), bytes]);
}

const msg = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];

function gvPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

function pathsOf(registry: Registry): Array<{ path: string; gvk: { group: string; version: string; kind: string } }> {
  return registry.all().map((r) => ({
    path: `${gvPath(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`,
    gvk: { group: r.group, version: r.version, kind: r.kind },
  }));
}

export function openApiV2Protobuf(registry: Registry): Buffer {
  const items = pathsOf(registry).map(({ path, gvk }) => {
    // QueryParameterSubSchema{in=2, name=4, type=6} in NonBodyParameter=3 in Parameter=2 in ParametersItem=1.
    const params = QUERY_PARAMS.map((name) =>
      field(
        8,
        field(
          1,
          field(2, field(3, msg(field(2, 'query'), field(4, name), field(6, name === 'force' ? 'boolean' : 'string')))),
        ),
      ),
    );
    const yaml = `group: "${gvk.group}"\nkind: ${gvk.kind}\nversion: ${gvk.version}\n`;
    const extension = field(13, msg(field(1, 'x-kubernetes-group-version-kind'), field(2, field(2, yaml))));
    const operation = msg(field(5, `patch${gvk.kind}`), ...params, extension);
    return field(2, msg(field(1, path), field(2, field(8, operation))));
  });
  return msg(field(1, '2.0'), field(2, msg(field(1, 'Kubernetes'), field(2, 'v1.34.1'))), field(8, msg(...items)));
}

export function openApiV2Json(registry: Registry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { path, gvk } of pathsOf(registry)) {
    paths[path] = {
      patch: {
        operationId: `patch${gvk.kind}`,
        parameters: QUERY_PARAMS.map((name) => ({
          in: 'query',
          name,
          type: name === 'force' ? 'boolean' : 'string',
          uniqueItems: true,
        })),
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-group-version-kind': gvk,
      },
    };
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.34.1' }, paths, definitions: {} };
}
