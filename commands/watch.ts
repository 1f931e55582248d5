// /mesh watch [on|off|every INTERVAL]: show the health watch, or (admins) turn it on or off or change how often it
// runs. The interval is from 1 minute to 24 hours, written 90s, 10m, 1h or 10 min.
import { formatSpan } from '../src/watch/span.ts';
import { splitArgs, usageError } from './args.ts';
import type { Subcommand } from './types.ts';

const USAGE = '/mesh watch [on|off|every INTERVAL]';
const EXAMPLE = '/mesh watch every 10m';
const MIN_MS = 60_000;
const MAX_MS = 24 * 3600_000;
const unit = (ms: number, names: string[]) => Object.fromEntries(names.map((n) => [n, ms]));
const UNITS: Record<string, number> = {
  ...unit(1000, ['s', 'sec', 'secs', 'second', 'seconds']),
  ...unit(60_000, ['m', 'min', 'mins', 'minute', 'minutes']),
  ...unit(3600_000, ['h', 'hr', 'hrs', 'hour', 'hours']),
};

/** 600000 -> "10m", the form the parser reads. */
const short = (ms: number) =>
  ms % 3600_000 === 0 ? `${ms / 3600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;

/** "10m", "90s", "1h", "10 min" -> ms, or what is wrong with it. */
export function parseInterval(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return { ok: false, error: `\`${text}\` is not an interval; write a number and a unit, like 10m, 90s or 1h` };
  const name = m[2]!.toLowerCase();
  const factor = UNITS[name];
  if (!name) return { ok: false, error: `\`${text}\` has no unit; write 10m (minutes), 90s (seconds) or 1h (hours)` };
  if (!factor) return { ok: false, error: `\`${m[2]}\` is not a unit; use s, m or h (10m, 90s, 1h)` };
  const ms = Math.round(Number(m[1]) * factor);
  if (ms < MIN_MS) return { ok: false, error: `${formatSpan(ms)} is too often: the watch runs at most once a minute` };
  if (ms > MAX_MS) return { ok: false, error: `${text} is too long: the watch runs at least once a day (24h)` };
  return { ok: true, ms };
}

export const watch: Subcommand<'watch'> = {
  name: 'watch',
  usage: USAGE,
  summary:
    'show the health watch (alerts in the channel when a check breaks); admins turn it on, off, or set how often',
  details: (spec) =>
    `After a successful \`/mesh up\`, meshops runs a status pass of mesh *${spec.name}* every 5 minutes. A check ` +
    'that goes from ok to warning or failing posts one alert here (what broke, since when, the first broken link and ' +
    'the command that repairs it); what breaks next, and the recovery with how long it lasted, follow in its thread. ' +
    'A pair whose ping RTT stays above 1.5 times the one `/mesh up` measured, two passes in a row, is a warning. ' +
    '`/mesh watch` shows the interval, the last pass and open incidents; `on`, `off` and `every 10m` (1 minute to ' +
    '24 hours) are for admins.',
  example: () => EXAMPLE,
  parse(args) {
    const split = splitArgs('watch', args, {});
    if (!split.ok) return usageError(split.error, USAGE, EXAMPLE);
    const [first, ...rest] = split.positional;
    const word = first?.toLowerCase();
    if (word === undefined) return { ok: true, command: { kind: 'watch', action: 'show' } };
    if (word === 'on' || word === 'off') {
      if (rest.length)
        return usageError(`\`/mesh watch ${word}\` takes nothing more; got \`${rest.join(' ')}\``, USAGE);
      return { ok: true, command: { kind: 'watch', action: word } };
    }
    if (word === 'every') {
      if (!rest.length) return usageError('`/mesh watch every` needs an interval, like 10m', USAGE, EXAMPLE);
      const interval = parseInterval(rest.join(' '));
      if (!interval.ok) return usageError(interval.error, USAGE, EXAMPLE);
      return { ok: true, command: { kind: 'watch', action: 'every', everyMs: interval.ms } };
    }
    return usageError(`\`${first}\` is not a watch setting; use on, off or every INTERVAL`, USAGE, EXAMPLE);
  },
  describe: (cmd) =>
    cmd.action === 'show'
      ? '/mesh watch'
      : cmd.action === 'every'
        ? `/mesh watch every ${short(cmd.everyMs ?? 0)}`
        : `/mesh watch ${cmd.action}`,
};
