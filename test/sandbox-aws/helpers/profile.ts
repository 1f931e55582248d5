import type { TimeProfile } from '../../../sandbox/contracts.ts';

/**
 * Short enough for tests, long enough that each intermediate state (CREATING, UPDATING, DELETING, pending,
 * deleting) is still there for the few calls a test makes right after the change, even on a loaded machine.
 */
export const TINY: TimeProfile = {
  name: 'tiny',
  clusterCreateMs: 1_500,
  clusterDeleteMs: 1_500,
  nodegroupCreateMs: 1_000,
  nodegroupUpdateMs: 1_500,
  nodegroupDeleteMs: 1_500,
  natCreateMs: 1_500,
  natDeleteMs: 1_500,
  nodeReadyMs: 50,
  podReadyMs: 20,
  calicoReadyMs: 100,
  federationSyncMs: 50,
};
