// Socket Mode, the server side: apps.connections.open hands out a one-use ws:// URL; on connect the stand-in sends
// `hello`, then delivers envelopes ({envelope_id, type, payload, accepts_response_payload}) and waits for the app's
// ack ({envelope_id, payload?}) as Slack does.

import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { BOT } from './state.ts';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface AckResult {
  acked: boolean;
  /** What the app put in its ack (a command's immediate reply), if anything. */
  payload?: unknown;
}

export class SocketModeHub {
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #tickets = new Set<string>();
  readonly #clients: WebSocket[] = [];
  readonly #pending = new Map<string, (ack: AckResult) => void>();
  readonly #events = new EventEmitter();
  readonly #pinger: NodeJS.Timeout;
  #baseWsUrl = '';
  #nextClient = 0;

  /** Slack pings every few seconds; the client gives up after 30 s without one. */
  constructor(pingIntervalMs = 10_000) {
    this.#events.setMaxListeners(0);
    this.#pinger = setInterval(() => {
      for (const c of this.#clients) c.ping();
    }, pingIntervalMs);
    this.#pinger.unref();
  }

  setBaseUrl(httpBase: string): void {
    this.#baseWsUrl = httpBase.replace(/^http/, 'ws');
  }

  issueUrl(): string {
    const ticket = randomBytes(16).toString('hex');
    this.#tickets.add(ticket);
    return `${this.#baseWsUrl}/link/?ticket=${ticket}&app_id=${BOT.appId}`;
  }

  /** Takes an HTTP upgrade for /link/; false when the request is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/link/' && url.pathname !== '/link') return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!this.#tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (client) => this.#accept(client));
    return true;
  }

  connections(): number {
    return this.#clients.length;
  }

  /** Resolves once at least one app is connected (after hello). */
  waitForConnection(timeoutMs: number): Promise<void> {
    if (this.#clients.length > 0) return Promise.resolve();
    return this.nextConnection(timeoutMs);
  }

  /** Resolves when the next app connects, whatever is connected now (e.g. a reconnect after sendDisconnect). */
  nextConnection(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#events.off('connected', onConnected);
        reject(new Error(`no Socket Mode connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnected = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#events.once('connected', onConnected);
    });
  }

  /** Sends one envelope to a connected app (round robin, as Slack spreads load) and waits for its ack. */
  deliver(type: EnvelopeType, payload: unknown, ackTimeoutMs = 3000): Promise<AckResult> {
    const open = this.#clients.filter((c) => c.readyState === c.OPEN);
    if (open.length === 0)
      return Promise.reject(new Error('no Socket Mode connection: is the app started with SLACK_APP_TOKEN?'));
    const client = open[this.#nextClient++ % open.length];
    const envelope_id = randomUUID();
    const isViewSubmission = type === 'interactive' && (payload as { type?: string })?.type === 'view_submission';
    const accepts_response_payload = type === 'slash_commands' || isViewSubmission;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(envelope_id);
        resolve({ acked: false });
      }, ackTimeoutMs);
      this.#pending.set(envelope_id, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      client.send(JSON.stringify({ envelope_id, payload, type, accepts_response_payload }));
    });
  }

  /** Asks every app to reconnect, as Slack does before it recycles a connection. */
  sendDisconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    for (const c of this.#clients)
      c.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-sandbox' } }));
  }

  async close(): Promise<void> {
    clearInterval(this.#pinger);
    // Close politely first: an app mid-disconnect is waiting for our close frame and logs an error without it.
    await Promise.all(
      this.#clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              c.terminate();
              resolve();
            }, 500);
            c.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            c.close(1001, 'stand-in shutting down');
          }),
      ),
    );
    this.#clients.length = 0;
    await new Promise<void>((r) => this.#wss.close(() => r()));
  }

  #accept(client: WebSocket): void {
    this.#clients.push(client);
    client.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: { envelope_id?: string; payload?: unknown };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      const settle = msg.envelope_id ? this.#pending.get(msg.envelope_id) : undefined;
      if (!settle || !msg.envelope_id) return;
      this.#pending.delete(msg.envelope_id);
      const payload = msg.payload && Object.keys(msg.payload).length > 0 ? msg.payload : undefined;
      settle({ acked: true, payload });
    });
    client.on('close', () => {
      const i = this.#clients.indexOf(client);
      if (i >= 0) this.#clients.splice(i, 1);
    });
    client.on('error', () => client.terminate());
    client.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.#clients.length,
        debug_info: { host: 'applink-sandbox', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: BOT.appId },
      }),
    );
    this.#events.emit('connected');
  }
}
