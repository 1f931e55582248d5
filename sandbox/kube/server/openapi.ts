// The least OpenAPI v3 kubectl needs, generated from the registry: a PATCH operation per resource that
// lists the fieldValidation query parameter. With it kubectl leaves validation to the server instead of
// downloading schemas. No request bodies and no schemas: kubectl then builds client-side apply patches from
// its built-in types (and JSON merge patches for custom resources), as it does for CRDs without schemas.
import type { Registry, ServedResource } from './registry.ts';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function hashOf(resources: ServedResource[]): string {
  let h = 0;
  for (const r of resources) for (const c of `${r.plural}/${r.kind}`) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return (h >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export function openApiV3Root(registry: Registry): Record<string, unknown> {
  const gvs = new Map<string, ServedResource[]>();
  for (const r of registry.all()) {
    const key = gvPath(r.group, r.version);
    gvs.set(key, [...(gvs.get(key) ?? []), r]);
  }
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, resources] of gvs)
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(resources)}` };
  return { paths };
}

const PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

export function openApiV3GroupVersion(
  registry: Registry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const resources = registry.inGroupVersion(group, version);
  if (resources.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of resources) {
    const scope = r.namespaced ? '/namespaces/{namespace}' : '';
    paths[`/${gvPath(group, version)}${scope}/${r.plural}/{name}`] = {
      patch: {
        description: `partially update the specified ${r.kind}`,
        operationId: `patch${r.kind}`,
        parameters: PARAMETERS,
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: r.kind },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.34.1' }, paths, components: { schemas: {} } };
}
