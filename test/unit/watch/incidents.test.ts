// The watch's incident state machine on a fake clock: one alert per incident, none while it stays broken, what
// breaks later joins it, and the recovery says how long it lasted.
import { describe, expect, it } from 'vitest';
import { advance, type Check, type WatchEvent, type WatchState } from '../../../src/watch/incidents.ts';
import { formatSpan } from '../../../src/watch/span.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 2, 1, 0, 0);

const check = (key: string, health: Check['health'], detail: string = health): Check => ({
  key,
  cluster: key.split(':')[0],
  health,
  subject: key.split(': ')[1] ?? key,
  detail,
});
const healthy = () => [
  check('pdx: route table rtb-1', 'ok'),
  check('pdx: ping to iad', 'ok'),
  check('iad: VXLAN rule on sg-1', 'ok'),
];

/** Runs passes five minutes apart; returns every pass's events. */
function passes(...checks: Check[][]): { events: WatchEvent[][]; state: WatchState } {
  let state: WatchState = {};
  const events: WatchEvent[][] = [];
  checks.forEach((c, i) => {
    const r = advance(state, c, T0 + i * 5 * MIN);
    state = r.state;
    events.push(r.events);
  });
  return { events, state };
}

describe('the incident state machine', () => {
  it('alerts once when a check goes from ok to failing, and not again while it stays failing', () => {
    const broken = [check('pdx: route table rtb-1', 'failing', 'no route to 10.0.0.0/16'), ...healthy().slice(1)];
    const { events, state } = passes(healthy(), broken, broken, broken);
    expect(events[0]).toEqual([]);
    expect(events[1]!.map((e) => e.type)).toEqual(['opened']);
    const opened = events[1]![0] as Extract<WatchEvent, { type: 'opened' }>;
    expect(opened.checks.map((c) => c.key)).toEqual(['pdx: route table rtb-1']);
    expect(opened.incident.openedAt).toBe(T0 + 5 * MIN);
    expect(opened.incident.lastOkAt).toBe(T0);
    expect(events[2]).toEqual([]);
    expect(events[3]).toEqual([]);
    expect(state.open?.keys).toEqual(['pdx: route table rtb-1']);
  });

  it('puts several checks that break together in one alert, and later breakage in the same incident', () => {
    const together = [
      check('pdx: route table rtb-1', 'failing'),
      check('pdx: ping to iad', 'failing'),
      check('iad: VXLAN rule on sg-1', 'ok'),
    ];
    const more = [...together.slice(0, 2), check('iad: VXLAN rule on sg-1', 'failing')];
    const { events } = passes(healthy(), together, more);
    expect(events[1]!.map((e) => e.type)).toEqual(['opened']);
    expect((events[1]![0] as Extract<WatchEvent, { type: 'opened' }>).checks).toHaveLength(2);
    expect(events[2]!.map((e) => e.type)).toEqual(['joined']);
    expect((events[2]![0] as Extract<WatchEvent, { type: 'joined' }>).checks.map((c) => c.key)).toEqual([
      'iad: VXLAN rule on sg-1',
    ]);
  });

  it('recovers when every check of the incident is ok again, with how long it lasted', () => {
    const broken = [check('pdx: route table rtb-1', 'failing'), ...healthy().slice(1)];
    const { events, state } = passes(healthy(), broken, broken, broken, healthy());
    const rec = events[4]!.find((e) => e.type === 'recovered') as Extract<WatchEvent, { type: 'recovered' }>;
    expect(rec.durationMs).toBe(15 * MIN);
    expect(formatSpan(rec.durationMs)).toBe('15 min');
    expect(state.open).toBeUndefined();
  });

  it('stays open while one of its checks is still bad, and opens a new incident after it closed', () => {
    const two = [check('pdx: route table rtb-1', 'failing'), check('pdx: ping to iad', 'failing'), healthy()[2]!];
    const one = [healthy()[0]!, check('pdx: ping to iad', 'failing'), healthy()[2]!];
    const again = [check('pdx: route table rtb-1', 'warning'), ...healthy().slice(1)];
    const { events } = passes(healthy(), two, one, healthy(), again);
    expect(events[2]).toEqual([]);
    expect(events[3]!.map((e) => e.type)).toEqual(['recovered']);
    expect(events[4]!.map((e) => e.type)).toEqual(['opened']);
  });

  it('does not alert on checks that were never ok (the first pass, or a warning from the start)', () => {
    const warnFromStart = [...healthy(), check('iad: public endpoint of demo-iad', 'warning')];
    const { events } = passes(warnFromStart, warnFromStart);
    expect(events.flat()).toEqual([]);
  });

  it('counts a check that is new since the last pass and bad as broken (a cluster API gone)', () => {
    const gone = [check('pdx: Kubernetes API', 'failing', 'unreachable'), healthy()[0]!, healthy()[2]!];
    const back = healthy();
    const { events } = passes(healthy(), gone, back);
    expect(events[1]!.map((e) => e.type)).toEqual(['opened']);
    expect(events[2]!.map((e) => e.type)).toEqual(['recovered']);
  });
});
