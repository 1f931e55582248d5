// One moto per test file (it takes seconds to start), a gateway with a fake cluster host in front of it.
import type { ZoneMapping } from '../../../sandbox/aws/ec2-zones.ts';
import { type Gateway, startGateway } from '../../../sandbox/aws/gateway.ts';
import { type MotoServer, startMoto } from '../../../sandbox/aws/moto.ts';
import type { TimeProfile } from '../../../sandbox/contracts.ts';
import { createFakeClusterHost, type FakeClusterHost } from './fake-cluster-host.ts';
import { TINY } from './profile.ts';

export interface Fixture {
  moto: MotoServer;
  gateway: Gateway;
  host: FakeClusterHost;
  stop(): Promise<void>;
}

/** `withMoto: false` for tests that never reach moto (STS presigned URLs): the gateway points nowhere. */
export async function startFixture(
  profile: TimeProfile = TINY,
  opts: { withMoto?: boolean; zones?: ZoneMapping; consistencyLagMs?: number } = {},
): Promise<Fixture> {
  const moto: MotoServer =
    opts.withMoto === false ? { endpoint: 'http://127.0.0.1:9', pid: 0, stop: async () => {} } : await startMoto();
  const host = createFakeClusterHost();
  const gateway = await startGateway({
    motoEndpoint: moto.endpoint,
    host,
    profile,
    zones: opts.zones,
    consistencyLagMs: opts.consistencyLagMs,
  });
  return {
    moto,
    gateway,
    host,
    async stop() {
      await gateway.stop();
      await host.stopAll();
      await moto.stop();
    },
  };
}
