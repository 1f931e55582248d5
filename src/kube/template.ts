// The tiniest templating that is safe for YAML: parse the manifest first, then fill `{{key}}` placeholders in the
// parsed strings. A value never becomes YAML syntax, so a token or a name cannot break (or inject into) a manifest.
// A string that is exactly one placeholder takes the value's own type (a number stays a number).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from './client.ts';
import { parseManifests } from './manifests.ts';

export type TemplateValues = Record<string, string | number | boolean>;

const WHOLE = /^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$/;
const PART = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

function fill(node: unknown, values: TemplateValues, where: string): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole) return lookup(values, whole[1], where);
    return node.replace(PART, (_m, key: string) => String(lookup(values, key, where)));
  }
  if (Array.isArray(node)) return node.map((n) => fill(n, values, where));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[fill(k, values, where) as string] = fill(v, values, where);
    return out;
  }
  return node;
}

function lookup(values: TemplateValues, key: string, where: string): string | number | boolean {
  const v = values[key];
  if (v === undefined) throw new Error(`template ${where}: no value for {{${key}}}`);
  return v;
}

export function renderManifests(text: string, values: TemplateValues, where = 'inline'): KubeObject[] {
  return parseManifests(text).map((o) => fill(o, values, where) as KubeObject);
}

const manifestDir = new URL('../../infra/manifests/', import.meta.url);

/** Renders infra/manifests/<file> with values. */
export function renderManifestFile(file: string, values: TemplateValues): KubeObject[] {
  const text = readFileSync(fileURLToPath(new URL(file, manifestDir)), 'utf8');
  return renderManifests(text, values, file);
}
