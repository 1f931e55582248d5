// The App Home's view of the watch: on or off, the open incident, and the last incidents with how long each lasted.
import type { Redis } from 'ioredis';
import { clockTime, formatSpan } from './span.ts';
import { WatchStore } from './store.ts';

const day = (ms: number) => new Date(ms).toISOString().slice(5, 10);

export async function watchSummary(redis: Redis, prefix: string, mesh: string, now: number): Promise<string> {
  const store = new WatchStore(redis, prefix, mesh);
  const [settings, state, closed, [last]] = await Promise.all([
    store.settings(),
    store.state(),
    store.closed(5),
    store.passes(1),
  ]);
  if (!settings) return '*Health watch*: not started yet; it starts after a successful `/mesh up`.';
  const head = settings.enabled
    ? `*Health watch*: on, every ${formatSpan(settings.everyMs)}${last ? `; last pass ${clockTime(last.at)}: ${last.bad} of ${last.total} checks not ok` : ''}.`
    : '*Health watch*: off (`/mesh watch on`).';
  const open = state.incidents.open;
  const lines = [head];
  if (open) {
    const first = open.bad[open.keys[0]!];
    lines.push(
      `:rotating_light: open since ${clockTime(open.openedAt)} (${formatSpan(now - open.openedAt)}): ${first ? `${first.subject}: ${first.detail}`.slice(0, 140) : open.keys[0]}`,
    );
  }
  for (const c of closed) {
    lines.push(
      `:white_check_mark: ${day(c.openedAt)} ${clockTime(c.openedAt)}, lasted ${formatSpan(c.closedAt - c.openedAt)}: ${c.what.slice(0, 140)}`,
    );
  }
  if (!open && !closed.length) lines.push('No incidents so far.');
  return lines.join('\n');
}
