/**
 * The service worker's Socket.IO connection to the Tabcall server, as a Link
 * whose listeners and timers all end with it: once closed, nothing it
 * received can reach the call any more.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/protocol';

export type SignalingSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function openSignaling(serverUrl: string, installId: string): SignalingSocket {
  return io(serverUrl, {
    // A service worker has no XMLHttpRequest: long-polling cannot work there.
    transports: ['websocket'],
    auth: { installId },
    reconnectionDelay: 500,
    // A call is waiting on the other side of a reconnect (a deploy, a crash): knock again within
    // 2–3 s at most once the server is back (randomised ±50%, so not everyone at once).
    reconnectionDelayMax: 2000,
    timeout: 5000,
  });
}

type ServerHandlers = { [E in keyof ServerToClientEvents]?: ServerToClientEvents[E] };

export interface LinkHandlers extends ServerHandlers {
  up(): void;
  /** `reason` as Socket.IO gives it ('io server disconnect', 'transport close'…). */
  down(reason: string): void;
  connectError(error: Error & { data?: unknown }): void;
}

export class Link {
  readonly socket: SignalingSocket;
  readonly #abort = new AbortController();
  /** When the server said it is going away: how long to wait before knocking again. */
  #comeBackAfterMs?: number;

  constructor(serverUrl: string, installId: string, handlers: LinkHandlers) {
    const socket = (this.socket = openSignaling(serverUrl, installId));
    const { signal } = this.#abort;
    const listen = (event: string, fn: (...args: never[]) => void) => {
      socket.on(event as 'connect', fn as () => void);
      signal.addEventListener('abort', () => socket.off(event as 'connect', fn as () => void), { once: true });
    };
    listen('connect', () => handlers.up());
    listen('connect_error', (error: Error & { data?: unknown }) => handlers.connectError(error));
    listen('disconnect', (reason: string) => {
      // Socket.IO does not reconnect after the server closed us on purpose: knock again ourselves,
      // at once (to learn why, a ban most likely) or after the delay a closing server asked for.
      if (reason === 'io server disconnect') this.#later(this.#comeBackAfterMs ?? 0, () => socket.connect());
      handlers.down(reason);
    });
    for (const [event, handler] of Object.entries(handlers)) {
      if (event === 'up' || event === 'down' || event === 'connectError') continue;
      listen(event, handler as (...args: never[]) => void);
    }
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** The server is closing: come back after `ms` (and a little jitter, so not everyone at once). */
  comeBackAfter(ms: number): void {
    this.#comeBackAfterMs = ms + Math.round(Math.random() * Math.min(ms, 1000));
  }

  /** A timer that dies with the link. */
  #later(ms: number, fn: () => void): void {
    if (this.#abort.signal.aborted) return;
    const timer = setTimeout(fn, ms);
    this.#abort.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  /** Stops listening at once; says queue:leave first (briefly) when asked, then disconnects. */
  async close(leave: boolean): Promise<void> {
    this.#abort.abort();
    if (leave && this.socket.connected) await this.socket.timeout(2000).emitWithAck('queue:leave', {}).catch(() => {});
    this.socket.disconnect();
  }
}
