// How long the simulated cloud takes. `fast` keeps the demo snappy; `real` is what AWS and Calico take in
// practice (FACTS.md: control plane 10-15 min, node group 3-5 min, NAT 1-3 min), shrunk by `timeScale`.
import type { TimeProfile } from '../contracts.ts';

const FAST: TimeProfile = {
  name: 'fast',
  clusterCreateMs: 3_000,
  clusterDeleteMs: 2_000,
  nodegroupCreateMs: 2_000,
  nodegroupUpdateMs: 1_000,
  nodegroupDeleteMs: 1_500,
  natCreateMs: 1_000,
  natDeleteMs: 1_000,
  nodeReadyMs: 500,
  podReadyMs: 200,
  calicoReadyMs: 1_000,
  federationSyncMs: 500,
};

const MINUTE = 60_000;
const REAL: TimeProfile = {
  name: 'real',
  clusterCreateMs: 12 * MINUTE,
  clusterDeleteMs: 8 * MINUTE,
  nodegroupCreateMs: 4 * MINUTE,
  nodegroupUpdateMs: 2 * MINUTE,
  nodegroupDeleteMs: 4 * MINUTE,
  natCreateMs: 2 * MINUTE,
  natDeleteMs: 1 * MINUTE,
  nodeReadyMs: 60_000,
  podReadyMs: 10_000,
  calicoReadyMs: 90_000,
  federationSyncMs: 20_000,
};

export type ProfileName = 'fast' | 'real';

const DURATION_KEYS = Object.keys(FAST).filter((k) => k !== 'name') as Array<Exclude<keyof TimeProfile, 'name'>>;

/** A profile by name (or as given), every duration multiplied by `timeScale` (default 1). */
export function timeProfile(profile: ProfileName | TimeProfile, timeScale = 1): TimeProfile {
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new Error(`timeScale must be a positive number, got ${timeScale}`);
  const base = typeof profile === 'string' ? byName(profile) : profile;
  const scaled: TimeProfile = { ...base };
  for (const key of DURATION_KEYS) scaled[key] = Math.round(base[key] * timeScale);
  if (timeScale !== 1) scaled.name = `${base.name}x${timeScale}`;
  return scaled;
}

function byName(name: string): TimeProfile {
  if (name === 'fast') return FAST;
  if (name === 'real') return REAL;
  throw new Error(`unknown sandbox time profile '${name}' (use 'fast' or 'real')`);
}
