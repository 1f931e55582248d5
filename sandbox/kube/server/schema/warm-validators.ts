// Compiling a large CRD schema is the stand-in's own cost, not an API server's: Calico's Installation takes ajv
// about 0.3 s. Left to the first custom resource, it ran while `up` applied Calico, on the one event loop the
// stand-ins share with the AWS gateway, and EKS's answer to the node group's create (on up's critical path) waited
// for it. The sandbox compiles the schemas of the release its spec installs when it starts instead. The cache is by
// content as the bot sends a CRD (JSON in the manifest's key order); a client that reorders keys (kubectl sorts
// them) has its CRD compiled anew at the first custom resource: the same checks, only later.
import { parseAllDocuments } from 'yaml';
import { warmValidator } from './admit.ts';
import type { JsonSchema } from './structural.ts';

interface CrdDoc {
  kind?: string;
  spec?: { versions?: Array<{ schema?: { openAPIV3Schema?: JsonSchema } }> };
}

/** Compiles every CRD version schema in a manifest, yielding between schemas; returns how many were compiled. */
export async function warmValidators(manifest: string): Promise<number> {
  let compiled = 0;
  for (const doc of parseAllDocuments(manifest)) {
    const crd = doc.toJS() as CrdDoc | null;
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const v of crd.spec?.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema;
      if (!schema) continue;
      // As the API server stores it: the CRD arrives as JSON.
      if (warmValidator(JSON.parse(JSON.stringify(schema)) as JsonSchema)) compiled++;
      await new Promise((r) => setImmediate(r));
    }
  }
  return compiled;
}

/** The spec's release's operator CRDs, fetched from where the bot fetches them; nothing if there is no such file. */
export async function warmValidatorsOfRelease(manifestBaseUrl: string, version: string): Promise<number> {
  const res = await fetch(`${manifestBaseUrl.replace(/\/$/, '')}/${version}/manifests/operator-crds.yaml`);
  if (!res.ok) return 0;
  return warmValidators(await res.text());
}
