import { describe, expect, it } from 'vitest';
import { renderVerifyMatrix } from '../../../jobs/up/kube/verify.ts';
import { contains as cidrContains, overlaps as cidrsOverlap } from '../../../src/config/cidr.ts';
import { podOfTarget, renderDiagnosis } from '../../../src/mesh/ping/diagnose.ts';
import { parsePing } from '../../../src/mesh/ping/parse.ts';

describe('CIDR checks', () => {
  it.each([
    ['192.168.1.0/24', '192.168.2.0/24', false],
    ['192.168.0.0/16', '192.168.2.0/24', true],
    ['172.16.0.0/16', '172.16.255.0/24', true],
    ['10.0.0.0/16', '10.1.0.0/16', false],
  ])('%s and %s overlap: %s', (a, b, overlap) => {
    expect(cidrsOverlap(a, b)).toBe(overlap);
  });

  it.each([
    ['0.0.0.0/0', '10.1.0.0/16', true],
    ['10.1.0.0/16', '10.1.0.0/16', true],
    ['10.1.0.0/24', '10.1.0.0/16', false],
    ['10.0.0.0/16', '10.1.0.0/16', false],
  ])('%s contains %s: %s', (outer, inner, contains) => {
    expect(cidrContains(outer, inner)).toBe(contains);
  });
});

describe('the pod a ping target names', () => {
  it.each([
    ['multi-cluster-rs-pdx-0.multi-cluster-rs-pdx', 'pdx', 'multi-cluster-rs-pdx-0'],
    ['multi-cluster-rs-pdx-12.multi-cluster-rs-pdx', 'pdx', 'multi-cluster-rs-pdx-12'],
    ['multi-cluster-rs-pdx', 'pdx', undefined],
    ['multi-cluster-rs-iad-0.multi-cluster-rs-iad', 'pdx', undefined],
  ])('%s in %s -> %s', (target, cluster, pod) => {
    expect(podOfTarget(target, cluster)).toBe(pod);
  });
});

describe('rendering', () => {
  const ok = (t: string, ms: number) =>
    parsePing(
      t,
      `PING ${t} (192.168.2.7) 56(84) bytes of data.\n3 packets transmitted, 3 received, 0% packet loss, time 2003ms\nrtt min/avg/max/mdev = ${ms}/${ms}/${ms}/0.1 ms\n`,
    );
  it('puts the verify pings in a matrix: rows are where they came from', () => {
    const probes = [
      { from: 'iad', to: 'pdx', target: 'multi-cluster-rs-pdx', result: ok('multi-cluster-rs-pdx', 65.2), output: '' },
      {
        from: 'iad',
        to: 'pdx',
        target: 'multi-cluster-rs-pdx-0.multi-cluster-rs-pdx',
        result: parsePing('x', 'ping: x: Name or service not known'),
        output: '',
      },
      { from: 'pdx', to: 'iad', target: 'multi-cluster-rs-iad', result: ok('multi-cluster-rs-iad', 64.9), output: '' },
      {
        from: 'pdx',
        to: 'iad',
        target: 'multi-cluster-rs-iad-0.multi-cluster-rs-iad',
        result: ok('multi-cluster-rs-iad-0', 66),
        output: '',
      },
    ];
    expect(renderVerifyMatrix(['iad', 'pdx'], probes)).toBe(
      [
        'from \\ to  multi-cluster-rs-iad  multi-cluster-rs-iad-0.multi-cluster-rs-iad  multi-cluster-rs-pdx  multi-cluster-rs-pdx-0.multi-cluster-rs-pdx',
        '---------  --------------------  -------------------------------------------  --------------------  -------------------------------------------',
        'iad        -                     -                                            65.2 ms               FAIL: name does not resolve',
        'pdx        64.9 ms               66.0 ms                                      -                     -',
      ].join('\n'),
    );
  });

  it('leads a diagnosis with the first broken link, then lists every link checked', () => {
    const text = renderDiagnosis({ from: 'iad', target: 'multi-cluster-rs-pdx' }, [
      { ok: true, link: 'target pods', detail: 'StatefulSet multi-cluster-rs-pdx in pdx: 1/1 Ready' },
      {
        ok: false,
        link: 'peering',
        detail: 'no active VPC peering between vpc-a (iad) and vpc-b (pdx): pcx-1 is deleted',
      },
      { ok: false, link: 'routes iad -> pdx', detail: 'no route to 10.1.0.0/16' },
    ]);
    expect(text.split('\n')).toEqual([
      'ping multi-cluster-rs-pdx from iad fails at: peering: no active VPC peering between vpc-a (iad) and vpc-b (pdx): pcx-1 is deleted',
      '',
      'ok   target pods: StatefulSet multi-cluster-rs-pdx in pdx: 1/1 Ready',
      'FAIL peering: no active VPC peering between vpc-a (iad) and vpc-b (pdx): pcx-1 is deleted',
      'FAIL routes iad -> pdx: no route to 10.1.0.0/16',
    ]);
  });
});
