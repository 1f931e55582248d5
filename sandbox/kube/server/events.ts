// One subscription to the store per cluster: keeps a short history of changes so a watch can start from the
// resourceVersion a list returned, and fans each change out to open watches.
import type { ObjectStore, StoreEvent } from '../store.ts';
import { groupOf } from '../store.ts';

export interface HubEvent extends StoreEvent {
  rv: number;
  group: string;
}

export type HubListener = (event: HubEvent) => void;

const HISTORY_MAX_EVENTS = 2000;
const HISTORY_MAX_AGE_MS = 5 * 60_000;

export class EventHub {
  private readonly history: Array<HubEvent & { at: number }> = [];
  private readonly listeners = new Set<HubListener>();
  private readonly unsubscribe: () => void;
  /** The oldest resourceVersion a watch may resume from (events after it are all in history). */
  private floor: number;

  constructor(store: ObjectStore) {
    this.floor = Number(store.resourceVersion);
    this.unsubscribe = store.subscribe((event) => this.receive(event));
  }

  private receive(event: StoreEvent): void {
    const hubEvent: HubEvent = {
      ...event,
      rv: Number(event.object.metadata.resourceVersion ?? 0),
      group: groupOf(event.object.apiVersion),
    };
    const now = Date.now();
    this.history.push({ ...hubEvent, at: now });
    while (
      this.history.length > HISTORY_MAX_EVENTS ||
      (this.history.length > 0 && now - this.history[0]!.at > HISTORY_MAX_AGE_MS)
    ) {
      this.floor = this.history.shift()!.rv;
    }
    for (const listener of this.listeners) listener(hubEvent);
  }

  /** Events after `rv` still remembered, or undefined when that version is too old (the client must relist). */
  since(rv: number): HubEvent[] | undefined {
    if (rv < this.floor) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  listen(listener: HubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
    this.history.length = 0;
  }
}
