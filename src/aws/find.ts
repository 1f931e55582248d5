// Finding what meshops made, by its tags: the part every kind shares. Each kind's own finder lives in its module
// of the catalogue (src/mesh/aws/).
import type { Filter } from '@aws-sdk/client-ec2';
import type { Component } from './tags.ts';

type Tagged = { Tags?: { Key?: string; Value?: string }[] };

/**
 * Applies the tag filters again on our side. AWS applies them itself, but some EC2-compatible endpoints (moto
 * for NAT gateways and peering connections) ignore filters they do not know: a find must never return another
 * mesh's resources, since down deletes what find returns.
 */
export function keepMatching<T extends Tagged>(items: T[], filters: Filter[]): T[] {
  const tagFilters = filters.filter((f) => f.Name?.startsWith('tag:'));
  return items.filter((item) =>
    tagFilters.every((f) => {
      const key = f.Name!.slice('tag:'.length);
      const v = item.Tags?.find((t) => t.Key === key)?.Value;
      return v !== undefined && (f.Values ?? []).includes(v);
    }),
  );
}

/** Which of the mesh's things a find asks for. */
export interface Scope {
  mesh: string;
  cluster?: string;
  component?: Component;
  name?: string;
}
