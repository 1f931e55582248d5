// `/mesh watch` as people type it: a table of inputs and what the parser makes of them (or what it says is wrong).
import { describe, expect, it } from 'vitest';
import { describeCommand, helpText, parseMeshCommand } from '../../../commands/parse.ts';
import { testSpec } from '../kube/fake-kube.ts';

const spec = testSpec();

describe('/mesh watch', () => {
  it.each([
    ['watch', { kind: 'watch', action: 'show' }, '/mesh watch'],
    ['watch on', { kind: 'watch', action: 'on' }, '/mesh watch on'],
    ['WATCH Off', { kind: 'watch', action: 'off' }, '/mesh watch off'],
    ['watch every 10m', { kind: 'watch', action: 'every', everyMs: 600_000 }, '/mesh watch every 10m'],
    ['watch every 10 min', { kind: 'watch', action: 'every', everyMs: 600_000 }, '/mesh watch every 10m'],
    ['watch every 90s', { kind: 'watch', action: 'every', everyMs: 90_000 }, '/mesh watch every 90s'],
    ['watch every 1h', { kind: 'watch', action: 'every', everyMs: 3_600_000 }, '/mesh watch every 1h'],
    ['watch every 1 minute', { kind: 'watch', action: 'every', everyMs: 60_000 }, '/mesh watch every 1m'],
  ])('%s', (text, command, described) => {
    const r = parseMeshCommand(text, spec);
    expect(r).toEqual({ ok: true, command });
    if (r.ok) expect(describeCommand(r.command)).toBe(described);
  });

  it.each([
    ['watch every 30s', /30 s is too often: the watch runs at most once a minute/],
    ['watch every 10', /has no unit; write 10m/],
    ['watch every 10 parsecs', /`parsecs` is not a unit; use s, m or h/],
    ['watch every soon', /`soon` is not an interval/],
    ['watch every 2d', /not a unit/],
    ['watch every 25h', /too long: the watch runs at least once a day/],
    ['watch every', /needs an interval, like 10m/],
    ['watch sometimes', /`sometimes` is not a watch setting; use on, off or every INTERVAL/],
    ['watch on now', /takes nothing more/],
  ])('%s is refused with what would be right', (text, error) => {
    const r = parseMeshCommand(text, spec);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(error);
      expect(r.usage).toContain('/mesh watch [on|off|every INTERVAL]');
    }
  });

  it('is in the help, with the admin-only settings', () => {
    expect(helpText(spec)).toContain('`/mesh watch [on|off|every INTERVAL]`');
    expect(helpText(spec)).toContain('`watch on|off|every`');
    expect(helpText(spec, 'watch')).toMatch(/one alert here/);
    expect(parseMeshCommand('monitor', spec)).toMatchObject({ ok: false, error: /did you mean `watch`/ });
  });
});
