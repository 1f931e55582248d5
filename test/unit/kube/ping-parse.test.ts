import { describe, expect, it } from 'vitest';
import { parsePing, pingCell } from '../../../src/mesh/ping/parse.ts';

const OK = `PING multi-cluster-rs-pdx (192.168.2.7) 56(84) bytes of data.
64 bytes from 192-168-2-7.multi-cluster-rs-pdx.default.svc.cluster.local (192.168.2.7): icmp_seq=1 ttl=62 time=65.9 ms
64 bytes from 192-168-2-7.multi-cluster-rs-pdx.default.svc.cluster.local (192.168.2.7): icmp_seq=2 ttl=62 time=64.8 ms
64 bytes from 192-168-2-7.multi-cluster-rs-pdx.default.svc.cluster.local (192.168.2.7): icmp_seq=3 ttl=62 time=65.1 ms

--- multi-cluster-rs-pdx ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 2003ms
rtt min/avg/max/mdev = 64.812/65.266/65.901/0.459 ms
`;

const PARTIAL = `PING multi-cluster-rs-pdx-0.multi-cluster-rs-pdx (192.168.2.9) 56(84) bytes of data.
64 bytes from 192.168.2.9: icmp_seq=2 ttl=62 time=70.2 ms

--- multi-cluster-rs-pdx-0.multi-cluster-rs-pdx ping statistics ---
3 packets transmitted, 1 received, 66.6667% packet loss, time 2031ms
rtt min/avg/max/mdev = 70.200/70.200/70.200/0.000 ms
`;

const NO_REPLY = `PING multi-cluster-rs-pdx (192.168.2.7) 56(84) bytes of data.

--- multi-cluster-rs-pdx ping statistics ---
3 packets transmitted, 0 received, 100% packet loss, time 2047ms
`;

const ERRORS = `PING multi-cluster-rs-pdx (192.168.2.7) 56(84) bytes of data.
From 10.0.1.5 icmp_seq=1 Destination Host Unreachable

--- multi-cluster-rs-pdx ping statistics ---
3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2047ms
`;

const BUSYBOX = `PING multi-cluster-rs-pdx (192.168.2.7): 56 data bytes
64 bytes from 192.168.2.7: seq=0 ttl=62 time=61.123 ms

--- multi-cluster-rs-pdx ping statistics ---
3 packets transmitted, 3 packets received, 0% packet loss
round-trip min/avg/max = 61.123/62.000/63.001 ms
`;

describe('parsePing reads iputils (and busybox) output', () => {
  it.each([
    [
      'all replies',
      OK,
      {
        ok: true,
        ip: '192.168.2.7',
        transmitted: 3,
        received: 3,
        lossPercent: 0,
        rttMs: { min: 64.812, avg: 65.266, max: 65.901 },
      },
    ],
    [
      'some loss',
      PARTIAL,
      {
        ok: true,
        ip: '192.168.2.9',
        transmitted: 3,
        received: 1,
        lossPercent: 66.6667,
        rttMs: { min: 70.2, avg: 70.2, max: 70.2 },
      },
    ],
    ['no reply', NO_REPLY, { ok: false, failure: 'no-reply', received: 0, lossPercent: 100, rttMs: undefined }],
    ['unreachable with errors', ERRORS, { ok: false, failure: 'no-reply', transmitted: 3, received: 0 }],
    ['busybox summary', BUSYBOX, { ok: true, received: 3, rttMs: { min: 61.123, avg: 62, max: 63.001 } }],
    [
      'name does not resolve',
      'ping: multi-cluster-rs-pdx: Name or service not known\n',
      { ok: false, failure: 'resolve', message: 'ping: multi-cluster-rs-pdx: Name or service not known' },
    ],
    ['busybox bad address', "ping: bad address 'multi-cluster-rs-pdx'\n", { ok: false, failure: 'resolve' }],
    [
      'something else',
      'OCI runtime exec failed: exec failed: unable to start container process\n',
      {
        ok: false,
        failure: 'error',
        message: 'OCI runtime exec failed: exec failed: unable to start container process',
      },
    ],
  ])('%s', (_name, output, expected) => {
    expect(parsePing('multi-cluster-rs-pdx', output)).toMatchObject(expected);
  });
});

describe('pingCell says what a person needs in one cell', () => {
  it.each([
    [OK, '65.3 ms'],
    [PARTIAL, '70.2 ms (66.6667% loss)'],
    [NO_REPLY, 'FAIL: no reply (100% loss)'],
    ['ping: x: Name or service not known', 'FAIL: name does not resolve'],
  ])('%#', (output, cell) => {
    expect(pingCell(parsePing('x', output))).toBe(cell);
  });
});
