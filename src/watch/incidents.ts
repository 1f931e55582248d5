// The watch's incident state machine, pure (the clock is the pass's `now`): one pass's checks in, the new state
// and what to tell the channel out. Grouping: while an incident is open, checks that break later join it (a reply
// in its thread) instead of opening another, because one cause fails several checks at once or over successive
// passes (a removed route fails the route line, both pings and the federation sync), and one `/mesh up` repairs
// them together. The incident closes when none of its checks is bad any more.

export type CheckHealth = 'ok' | 'warning' | 'failing' | 'absent';

export interface Check {
  /** Stable across passes: "pdx: route table rtb-1", "rtt iad -> pdx". */
  key: string;
  /** The cluster it is about, when it is about one. */
  cluster?: string;
  health: CheckHealth;
  subject: string;
  detail: string;
}

export interface Incident {
  id: string;
  /** The pass that first saw it bad (ms). */
  openedAt: number;
  /** The pass before, where every one of its checks was still ok (ms), when there was one. */
  lastOkAt?: number;
  /** Every check that has been part of it, by key. */
  keys: string[];
  /** Each member as it was last seen bad. */
  bad: Record<string, Check>;
  /** The alert's message in the channel (its thread holds the rest); set once posted. */
  alertTs?: string;
  channelId?: string;
}

export interface WatchState {
  /** Health of each check at the last pass; absent before the first pass. */
  seen?: Record<string, CheckHealth>;
  lastPassAt?: number;
  open?: Incident;
}

export type WatchEvent =
  | { type: 'opened'; incident: Incident; checks: Check[] }
  | { type: 'joined'; incident: Incident; checks: Check[] }
  | { type: 'recovered'; incident: Incident; at: number; durationMs: number };

export const isBad = (h: CheckHealth | undefined): boolean => h !== undefined && h !== 'ok';

/** One pass. A check breaks when it was ok at the last pass, or is new since it and bad (not on the first pass). */
export function advance(state: WatchState, checks: Check[], now: number): { state: WatchState; events: WatchEvent[] } {
  const seen: Record<string, CheckHealth> = Object.fromEntries(checks.map((c) => [c.key, c.health]));
  const prev = state.seen;
  const events: WatchEvent[] = [];
  const broke = prev
    ? checks.filter((c) => isBad(c.health) && (prev[c.key] === 'ok' || prev[c.key] === undefined))
    : [];
  let open = state.open ? { ...state.open, bad: { ...state.open.bad }, keys: [...state.open.keys] } : undefined;
  if (open) {
    for (const c of checks) if (open.keys.includes(c.key) && isBad(c.health)) open.bad[c.key] = c;
    const fresh = broke.filter((c) => !open!.keys.includes(c.key));
    if (fresh.length) {
      open.keys.push(...fresh.map((c) => c.key));
      for (const c of fresh) open.bad[c.key] = c;
      events.push({ type: 'joined', incident: open, checks: fresh });
    }
    if (open.keys.every((k) => !isBad(seen[k]))) {
      events.push({ type: 'recovered', incident: open, at: now, durationMs: now - open.openedAt });
      open = undefined;
    }
  }
  // After a recovery `broke` is empty: a check that broke in this pass would have joined and kept it open.
  if (!open && broke.length) {
    open = {
      id: `inc-${now.toString(36)}`,
      openedAt: now,
      keys: broke.map((c) => c.key),
      bad: Object.fromEntries(broke.map((c) => [c.key, c])),
    };
    if (state.lastPassAt !== undefined) open.lastOkAt = state.lastPassAt;
    events.push({ type: 'opened', incident: open, checks: broke });
  }
  const next: WatchState = { seen, lastPassAt: now };
  if (open) next.open = open;
  return { state: next, events };
}
