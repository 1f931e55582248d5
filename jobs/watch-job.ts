// `/mesh watch [on|off|every 10m]` as a job, what a successful `/mesh up` does for the watch (RTT baselines from
// its verification, the scheduler on), and the line `/mesh status` gains from the watch's passes.
import type { Deps } from '../src/deps.ts';
import type { CommandOf } from '../src/mesh-command.ts';
import { takeVerifiedPaths } from '../src/metrics/mesh-health.ts';
import type { JobResult } from '../src/queue/job-types.ts';
import type { JobContext } from '../src/queue/worker.ts';
import { pairKey, type RttBaselines } from '../src/watch/rtt.ts';
import type { WatchControl } from '../src/watch/schedule.ts';
import { clockTime, formatSpan } from '../src/watch/span.ts';
import type { PassRecord } from '../src/watch/store.ts';

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 10)} ${clockTime(ms)}`;

async function describeWatch(watch: WatchControl, now: number): Promise<string[]> {
  const { store } = watch;
  const [settings, next, [last], state, closed] = await Promise.all([
    store.settings(watch.defaultEveryMs),
    watch.nextAt(),
    store.passes(1),
    store.state(),
    store.closed(3),
  ]);
  const lines: string[] = [];
  if (!settings) {
    lines.push(
      `The watch is *off*: it starts after the next successful \`/mesh up\` (a status pass every ${formatSpan(watch.defaultEveryMs)}), or with \`/mesh watch on\`.`,
    );
  } else if (!settings.enabled) {
    lines.push(
      `The watch is *off*${settings.by ? ` (turned off by <@${settings.by}>)` : ''}. \`/mesh watch on\` turns it on again.`,
    );
  } else {
    const nextText = next ? `, next at ${clockTime(next)}` : '';
    const where = settings.channelId ? `; alerts go to <#${settings.channelId}>` : '';
    lines.push(`The watch is *on*: a status pass every *${formatSpan(settings.everyMs)}*${nextText}${where}.`);
  }
  lines.push(
    last
      ? `Last pass: ${clockTime(last.at)} (${formatSpan(now - last.at)} ago, took ${formatSpan(last.ms)}): ${last.bad} of ${last.total} checks not ok. ${last.headline}`
      : 'No pass has run yet.',
  );
  const open = state.incidents.open;
  lines.push(
    open
      ? `Open incident since ${clockTime(open.openedAt)} (${formatSpan(now - open.openedAt)}): ${open.keys.length} check${open.keys.length === 1 ? '' : 's'}, ${open.keys.slice(0, 3).join('; ')}.`
      : 'Open incidents: none.',
  );
  if (closed.length) {
    lines.push(
      `Last incidents: ${closed.map((c) => `${when(c.openedAt)} for ${formatSpan(c.closedAt - c.openedAt)} (${c.what.slice(0, 80)})`).join('; ')}`,
    );
  }
  return lines;
}

export async function watchJob(
  deps: Deps,
  ctx: JobContext,
  watch: WatchControl,
  cmd: CommandOf<'watch'>,
): Promise<JobResult> {
  const by = ctx.data.userId;
  let said = '';
  if (cmd.action === 'off') {
    await watch.disable(by);
    said = `Turned the watch off for mesh *${deps.spec.name}*; nothing is checked until \`/mesh watch on\`.`;
  } else if (cmd.action === 'on' || cmd.action === 'every') {
    const s = await watch.enable({ everyMs: cmd.everyMs, by, channelId: ctx.data.channelId });
    said = `The watch of mesh *${deps.spec.name}* is on: a status pass every *${formatSpan(s.everyMs)}*; alerts go to this channel.`;
  }
  const lines = await describeWatch(watch, deps.clock.now());
  return { ok: true, summary: said || lines[0]!, details: [(said ? lines : lines.slice(1)).join('\n')] };
}

/** After a successful up: its verification's RTTs become the baselines, and the watch starts (unless turned off). */
export async function afterUp(deps: Deps, ctx: JobContext, watch: WatchControl, result: JobResult): Promise<JobResult> {
  const paths = takeVerifiedPaths(deps.spec.name);
  if (!result.ok || !paths) return result;
  try {
    const rtt: RttBaselines = {};
    for (const p of paths) if (p.rttSeconds !== undefined) rtt[pairKey(p.from, p.to)] = p.rttSeconds;
    await watch.store.saveBaselines(rtt);
    const before = await watch.store.settings(watch.defaultEveryMs);
    if (before && !before.enabled) {
      return { ...result, details: [...(result.details ?? []), '*Watch*: off (`/mesh watch on` starts it).'] };
    }
    const s = await watch.enable({ channelId: ctx.data.channelId });
    const line = `*Watch*: a status pass every ${formatSpan(s.everyMs)}; an incident posts one alert here (\`/mesh watch\` shows it).`;
    return { ...result, details: [...(result.details ?? []), line] };
  } catch (err) {
    ctx.log.warn({ err }, 'could not start the watch');
    return result;
  }
}

/** "Federation in sync for 3 d 4 h", from the watch's passes (newest first), or nothing without them. */
export function syncedFor(passes: PassRecord[], now: number): string | undefined {
  const [last] = passes;
  if (!last) return undefined;
  let i = 0;
  while (i + 1 < passes.length && passes[i + 1]!.synced === last.synced) i++;
  const since = passes[i]!.at;
  const kept = i + 1 === passes.length ? ' (as far back as the watch keeps passes)' : '';
  return last.synced
    ? `Federation in sync for ${formatSpan(now - since)}${kept}, by the watch's passes.`
    : `Federation not in sync since ${clockTime(since)} (${formatSpan(now - since)}), by the watch's passes.`;
}
