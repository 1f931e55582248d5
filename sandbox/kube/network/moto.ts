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
