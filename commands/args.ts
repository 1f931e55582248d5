// Shared pieces of the subcommand parsers: words, flags, clusters, and usage errors that show the right form.
import type { MeshSpec } from '../src/config/spec-types.ts';
import { nearest } from '../src/config/suggest.ts';
import type { ParseResult } from './types.ts';

/** Splits command text into words. Strips quotes/backticks people paste around words, and turns the dashes that
 * macOS/iOS autocorrect makes of `--` back into `--`. */
export function words(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.replace(/^[`'"“”‘’]+|[`'"“”‘’]+$/g, '').replace(/^[—–]/, '--'))
    .filter(Boolean);
}

export function usageError(error: string, usage: string, example?: string): ParseResult {
  return { ok: false, error, usage: example ? `Usage: \`${usage}\`, e.g. \`${example}\`` : `Usage: \`${usage}\`` };
}

/** Flags a subcommand accepts: a boolean switch, or one that takes a value (`--confirm demo` or `--confirm=demo`). */
export type FlagSpec = Record<string, { takesValue: boolean; hint: string }>;

export type SplitArgs =
  | { ok: true; positional: string[]; flags: Record<string, string | true> }
  | { ok: false; error: string };

export function splitArgs(command: string, args: string[], spec: FlagSpec): SplitArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  const known = Object.keys(spec);
  const allowed = known.length ? `flags: ${known.map((k) => spec[k].hint).join(', ')}` : 'it takes no flags';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-') || /^-\d/.test(a)) {
      positional.push(a);
      continue;
    }
    const [rawName, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const name = rawName.toLowerCase();
    const flag = spec[name];
    if (!flag) {
      const guess = nearest(name, known);
      return {
        ok: false,
        error: `\`${rawName}\` is not a flag of \`/mesh ${command}\`${guess ? `; did you mean \`${guess}\`?` : ''} (${allowed})`,
      };
    }
    if (name in flags) return { ok: false, error: `\`${name}\` is given twice` };
    if (!flag.takesValue) {
      if (inline !== undefined) return { ok: false, error: `\`${name}\` takes no value` };
      flags[name] = true;
      continue;
    }
    const value = inline ?? args[i + 1];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      return { ok: false, error: `\`${name}\` needs a value: \`${flag.hint}\`` };
    }
    if (inline === undefined) i++;
    flags[name] = value;
  }
  return { ok: true, positional, flags };
}

export function clusterNames(spec: MeshSpec): string[] {
  return spec.clusters.map((c) => c.name);
}

/** The cluster named `word` (any case), or an error that lists the spec's clusters. */
export function findCluster(word: string, spec: MeshSpec): { ok: true; name: string } | { ok: false; error: string } {
  const name = word.toLowerCase();
  const names = clusterNames(spec);
  if (names.includes(name)) return { ok: true, name };
  const guess = nearest(name, names);
  return {
    ok: false,
    error: `\`${word}\` is not a cluster of mesh ${spec.name}${guess ? `; did you mean \`${guess}\`?` : ''} (clusters: ${names.join(', ')})`,
  };
}

/** A whole number written in plain digits (no "2.0", "1e1", "+3"). */
export function wholeNumber(word: string): number | undefined {
  return /^\d{1,6}$/.test(word) ? Number(word) : undefined;
}
