// The sandbox's own servers are its own: a Redis or moto that another sandbox started on the same port is never
// taken for the one this sandbox started (two sandboxes would then share a queue or an AWS account).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundEndpoint, startMoto } from '../../sandbox/aws/moto.ts';
import { type LocalRedis, startRedis } from '../../sandbox/redis.ts';

describe('startRedis', () => {
  let other: LocalRedis;
  beforeAll(async () => {
    other = await startRedis();
  });
  afterAll(async () => {
    await other?.stop();
  });

  it('refuses a port another Redis already answers on, naming that process, instead of using it', async () => {
    await expect(startRedis({ port: other.port })).rejects.toThrow(
      new RegExp(`port ${other.port} is taken by another Redis \\(pid \\d+\\)|redis-server exited at start`),
    );
  });

  it('starts its own on a port of its own otherwise', async () => {
    const mine = await startRedis();
    try {
      expect(mine.port).not.toBe(other.port);
      await mine.stop();
      // Stopped, nothing answers there: it was this one, not a server that happened to be on the port.
      await expect(startRedis({ port: mine.port }).then((r) => r.stop())).resolves.toBeUndefined();
    } finally {
      await mine.stop();
    }
  });
});

describe('startMoto', () => {
  it('reads the port moto bound from what its server prints, not a port picked beforehand', async () => {
    expect(boundEndpoint(' * Running on http://127.0.0.1:43981\nPress CTRL+C to quit')).toBe('http://127.0.0.1:43981');
    expect(boundEndpoint('WARNING: This is a development server.')).toBeUndefined();
    const moto = await startMoto();
    try {
      expect((await fetch(`${moto.endpoint}/moto-api/`)).status).toBe(200);
    } finally {
      await moto.stop();
    }
    await expect(fetch(`${moto.endpoint}/moto-api/`)).rejects.toThrow();
  });
});
