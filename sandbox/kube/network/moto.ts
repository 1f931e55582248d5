// Reads of moto's EC2 state: what the simulated nodes and the network model are built on.
// Straight to moto (no gateway faults), dummy credentials; one client per endpoint and region.
import { EC2Client } from '@aws-sdk/client-ec2';

const clients = new Map<string, EC2Client>();

export function ec2For(motoEndpoint: string, region: string): EC2Client {
  const key = `${motoEndpoint}|${region}`;
  let client = clients.get(key);
  if (!client) {
    client = new EC2Client({
      region,
      endpoint: motoEndpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 2,
    });
    clients.set(key, client);
  }
  return client;
}

const inFlight = new Map<string, Promise<unknown>>();

/**
 * One read for every caller asking the same while it is in flight (eight pings side by side each read the same
 * VPCs, route tables and peerings; moto answers one request at a time). A joiner sees state at most one round
 * trip older than its own request would have: nothing that a caller waited for before asking is missed.
 */
export function sharedRead<T>(key: string, read: () => Promise<T>): Promise<T> {
  const pending = inFlight.get(key) as Promise<T> | undefined;
  if (pending) return pending;
  const p = read().finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}
