// EC2 Describe* filters as the query protocol sends them (Filter.N.Name, Filter.N.Value.M), with EC2's
// wildcards (* and ?) in values; for the describes where moto ignores filters.
export interface Ec2Filter {
  name: string;
  values: string[];
}

export function readFilters(form: URLSearchParams, prefix = 'Filter'): Ec2Filter[] {
  const byIndex = new Map<string, Ec2Filter>();
  const get = (i: string) => {
    let f = byIndex.get(i);
    if (!f) byIndex.set(i, (f = { name: '', values: [] }));
    return f;
  };
  for (const [k, v] of form) {
    const name = new RegExp(`^${prefix}\\.(\\d+)\\.Name$`).exec(k);
    if (name) get(name[1]).name = v;
    const value = new RegExp(`^${prefix}\\.(\\d+)\\.Value\\.\\d+$`).exec(k);
    if (value) get(value[1]).values.push(v);
  }
  return [...byIndex.values()].filter((f) => f.name);
}

/** Drops Filter.* parameters from a query-protocol form. */
export function withoutFilters(form: URLSearchParams, prefix = 'Filter'): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of form) if (!k.startsWith(`${prefix}.`)) out.append(k, v);
  return out;
}

/** True when one of the resource's values for the filter matches one of the filter's values. */
export function matchesAny(have: Array<string | undefined>, wanted: string[]): boolean {
  return have.some((h) => h !== undefined && wanted.some((w) => glob(w).test(h)));
}

function glob(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
