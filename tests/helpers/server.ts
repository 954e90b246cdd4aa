/** A real Tabcall server on a free port, and real socket.io-client sockets to talk to it. */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { createTabcallServer, type ServerOptions, type TabcallServer } from '../../server/app';
import { parseConfig } from '../../server/config';
import { MemoryStore } from '../../server/store/memory-store';
import type { Store } from '../../server/store';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/protocol';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestServer {
  url: string;
  server: TabcallServer;
  store: Store;
  close(): Promise<void>;
}

export async function startServer(overrides: Partial<ServerOptions> = {}, store: Store = new MemoryStore()): Promise<TestServer> {
  const options = { ...parseConfig({ ICE_SERVERS: '[]', INTEREST_WAIT_MS: '300' }), ...overrides };
  const server = createTabcallServer(options, { store, log: pino({ level: 'silent' }) });
  const port = await server.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, server, store, close: () => server.close() };
}

/** Opens a connected client; rejects with the handshake error if refused. */
export function connectClient(url: string, options: { installId?: string; origin?: string; auth?: unknown } = {}): Promise<Client> {
  const socket: Client = connect(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: (options.auth ?? { installId: options.installId ?? randomUUID() }) as Record<string, unknown>,
    extraHeaders: options.origin ? { origin: options.origin } : undefined,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Resolves with the next payload of `event`, or rejects after `ms`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: Client,
  event: E,
  ms = 2000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, listener as never);
  });
}

/** Records every event a socket receives, to assert later that nothing arrived. */
export function recordEvents(socket: Client): Array<{ event: string; args: unknown[] }> {
  const seen: Array<{ event: string; args: unknown[] }> = [];
  socket.onAny((event: string, ...args: unknown[]) => seen.push({ event, args }));
  return seen;
}

/** Sends any event (even ones the protocol does not have) and waits for its ack. */
export function rawEmit(socket: Client, event: string, ...args: unknown[]): Promise<any> {
  return (socket as unknown as Socket).timeout(2000).emitWithAck(event, ...args);
}

/** Joins two fresh clients and waits until they are matched with each other. */
export async function pairUp(url: string): Promise<{ offerer: Client; answerer: Client; matchId: string }> {
  const a = await connectClient(url);
  const b = await connectClient(url);
  const foundA = nextEvent(a, 'match:found');
  const foundB = nextEvent(b, 'match:found');
  await a.emitWithAck('queue:join', {});
  await b.emitWithAck('queue:join', {});
  const [fa, fb] = await Promise.all([foundA, foundB]);
  if (fa.matchId !== fb.matchId) throw new Error('paired with someone else');
  return fa.role === 'offerer' ? { offerer: a, answerer: b, matchId: fa.matchId } : { offerer: b, answerer: a, matchId: fa.matchId };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
