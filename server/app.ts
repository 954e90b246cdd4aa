/**
 * Builds the Tabcall server: Express routes and Socket.IO signaling sharing
 * one HTTP server. Nothing here reads the environment; main.ts does.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Logger } from 'pino';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { Server } from 'socket.io';
import { LIMITS } from '../shared/limits';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/protocol';
import type { Config } from './config';
import { handshakeMiddleware, type SocketData } from './middleware/handshake';
import { healthRouter } from './routes/health';
import { landingRouter } from './routes/landing';
import { Matchmaker } from './services/matchmaker';
import { attachHandlers, type Buckets } from './socket/dispatch';
import type { Store } from './store';

export type TabcallIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface TabcallServer {
  readonly http: HttpServer;
  readonly io: TabcallIo;
  readonly matchmaker: Matchmaker;
  /** Listens and resolves with the bound port (pass 0 for a free one). */
  listen(port: number, host?: string): Promise<number>;
  /** Tells every client the server is going away, ends calls, closes sockets and the store. */
  close(): Promise<void>;
}

export type ServerOptions = Pick<
  Config,
  | 'ALLOWED_ORIGINS'
  | 'ICE_SERVERS'
  | 'INTEREST_WAIT_MS'
  | 'STATS_INTERVAL_MS'
  | 'RATE_QUEUE_POINTS'
  | 'RATE_QUEUE_WINDOW_S'
  | 'RATE_SIGNAL_POINTS'
  | 'RATE_SIGNAL_WINDOW_S'
  | 'SHUTDOWN_GRACE_MS'
>;

export function createTabcallServer(options: ServerOptions, deps: { store: Store; log: Logger }): TabcallServer {
  const { store, log } = deps;
  const startedAt = Date.now();
  const app = express();
  app.disable('x-powered-by');
  app.set('views', fileURLToPath(new URL('./views', import.meta.url)));
  app.set('view engine', 'ejs');
  const http = createServer(app);

  const io: TabcallIo = new Server(http, {
    transports: ['websocket'],
    maxHttpBufferSize: LIMITS.maxMessageBytes,
    serveClient: false,
  });

  const matchmaker = new Matchmaker({
    interestWaitMs: options.INTEREST_WAIT_MS,
    iceServers: () => options.ICE_SERVERS,
    transport: {
      emit: (socketId, event, ...args) => io.sockets.sockets.get(socketId)?.emit(event, ...args),
    },
    onCallEnded: (call) => {
      store.recordCall(call).catch((error: unknown) => log.error({ err: error, matchId: call.matchId }, 'could not save call record'));
    },
  });

  app.use(healthRouter({ matchmaker, storeKind: store.kind, startedAt }));
  app.use(landingRouter({ matchmaker }));

  const buckets: Buckets = {
    queue: new RateLimiterMemory({ points: options.RATE_QUEUE_POINTS, duration: options.RATE_QUEUE_WINDOW_S }),
    signal: new RateLimiterMemory({ points: options.RATE_SIGNAL_POINTS, duration: options.RATE_SIGNAL_WINDOW_S }),
  };

  io.use(handshakeMiddleware(options.ALLOWED_ORIGINS));
  io.on('connection', (socket) => {
    const socketLog = log.child({ socket: socket.id });
    matchmaker.connect(socket.id, socket.data.installId);
    socketLog.debug('connected');
    attachHandlers(socket, { matchmaker, buckets, log: socketLog });
    socket.on('disconnect', (reason) => {
      matchmaker.disconnect(socket.id);
      socketLog.debug({ reason }, 'disconnected');
    });
  });

  // The sweep retries people whose interest wait ran out; 1/4 of the wait keeps the delay small.
  const sweepTimer = setInterval(() => matchmaker.tick(), Math.max(50, Math.min(500, options.INTEREST_WAIT_MS / 4)));
  const statsTimer = setInterval(() => matchmaker.broadcastStats(), options.STATS_INTERVAL_MS);
  sweepTimer.unref();
  statsTimer.unref();

  let closing: Promise<void> | undefined;
  return {
    http,
    io,
    matchmaker,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => resolve((http.address() as AddressInfo).port));
      }),
    close: () =>
      (closing ??= (async () => {
        clearInterval(sweepTimer);
        clearInterval(statsTimer);
        io.emit('server:closing', { reconnectAfterMs: options.SHUTDOWN_GRACE_MS });
        matchmaker.endAll();
        // Let engine.io flush those goodbyes before the sockets close under them.
        await new Promise((resolve) => setTimeout(resolve, 100));
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await store.close();
      })()),
  };
}
