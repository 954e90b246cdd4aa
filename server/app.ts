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
import { DEV_RESUME_SECRET, type Config } from './config';
import { handshakeMiddleware, type SocketData } from './middleware/handshake';
import { healthRouter } from './routes/health';
import { landingRouter } from './routes/landing';
import { appealRouter } from './routes/appeal';
import { modRouter } from './routes/mod';
import { privacyRouter } from './routes/privacy';
import { Moderation } from './moderation/service';
import { scheduleRetention } from './services/retention';
import { Matchmaker } from './services/matchmaker';
import { ResumeTokens } from './services/resume-token';
import { WriteQueue } from './services/write-queue';
import { Safety } from './services/safety';
import { turnServer } from './services/turn';
import { attachHandlers, type Buckets } from './socket/dispatch';
import type { Store } from './store';

export type TabcallIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface TabcallServer {
  readonly http: HttpServer;
  readonly io: TabcallIo;
  readonly matchmaker: Matchmaker;
  readonly safety: Safety;
  readonly moderation: Moderation;
  /** Call records and ban counting on their way to the database. */
  readonly writes: WriteQueue;
  /** Listens and resolves with the bound port (pass 0 for a free one). */
  listen(port: number, host?: string): Promise<number>;
  /** Tells every client the server is going away and closes sockets and the store; calls are kept for the next process. */
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
  | 'RATE_ADDRESS_FACTOR'
  | 'RATE_REPORT_POINTS'
  | 'RATE_REPORT_WINDOW_S'
  | 'TRUST_PROXY'
  | 'REPORT_BAN_THRESHOLD'
  | 'REPORT_WINDOW_S'
  | 'BAN_BASE_S'
  | 'BAN_MAX_S'
  | 'TURN_URLS'
  | 'TURN_SECRET'
  | 'TURN_TTL_S'
  | 'MODERATORS'
  | 'MOD_SESSION_TTL_S'
  | 'MOD_SIGNIN_POINTS'
  | 'MOD_SIGNIN_WINDOW_S'
  | 'RETENTION_DAYS'
  | 'RETENTION_SWEEP_S'
  | 'PRIVACY_CONTACT'
  | 'RESUME_GRACE_S'
  | 'RESUME_SECRET'
  | 'RESUME_TOKEN_TTL_S'
>;

/** Token buckets per connection, and per address at RATE_ADDRESS_FACTOR times the allowance. */
function createBuckets(options: ServerOptions): Buckets {
  const pair = (points: number, duration: number) => ({
    socket: new RateLimiterMemory({ points, duration }),
    address: new RateLimiterMemory({ points: points * options.RATE_ADDRESS_FACTOR, duration }),
  });
  return {
    queue: pair(options.RATE_QUEUE_POINTS, options.RATE_QUEUE_WINDOW_S),
    signal: pair(options.RATE_SIGNAL_POINTS, options.RATE_SIGNAL_WINDOW_S),
    report: pair(options.RATE_REPORT_POINTS, options.RATE_REPORT_WINDOW_S),
  };
}

/** The client's address, for rate limits only: never stored, never logged, never sent to anyone. */
function clientAddress(socket: { handshake: { address: string; headers: Record<string, string | string[] | undefined> } }, trustProxy: boolean) {
  const forwarded = socket.handshake.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string') return forwarded.split(',')[0]!.trim();
  return socket.handshake.address;
}

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
    // A brief network drop keeps the connection's identity; the handshake checks (bans) still run.
    connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares: false },
  });

  // Writes that may wait for the database; each attempt gets 5 s, retries back off to 5 s.
  const writes = new WriteQueue({ maxPending: 10_000, attemptMs: 5000, retryMinMs: 250, retryMaxMs: 5000, log });
  const safety = new Safety({
    store,
    policy: {
      banThreshold: options.REPORT_BAN_THRESHOLD,
      reportWindowMs: options.REPORT_WINDOW_S * 1000,
      banBaseMs: options.BAN_BASE_S * 1000,
      banMaxMs: options.BAN_MAX_S * 1000,
    },
    log,
    writes,
    onBan: (installId) => matchmaker.banned(installId),
  });
  const turn = options.TURN_SECRET ? { urls: options.TURN_URLS, secret: options.TURN_SECRET, ttlS: options.TURN_TTL_S } : undefined;

  const matchmaker = new Matchmaker({
    interestWaitMs: options.INTEREST_WAIT_MS,
    iceServers: (installId) => (turn ? [...options.ICE_SERVERS, turnServer(turn, installId)] : options.ICE_SERVERS),
    relayOnly: turn !== undefined,
    graceMs: options.RESUME_GRACE_S * 1000,
    tokens: new ResumeTokens(options.RESUME_SECRET ?? DEV_RESUME_SECRET, options.RESUME_TOKEN_TTL_S * 1000),
    tombstoneMs: options.RESUME_TOKEN_TTL_S * 1000,
    canPair: (a, b) => !safety.isBlocked(a, b),
    isBanned: (installId) => safety.isBanned(installId),
    transport: {
      // With connection state recovery on, Socket.IO stamps every packet with an offset and keeps it
      // for maxDisconnectionDuration, so a connection recovered within that time of its last packet
      // keeps its identity. What is emitted while a connection is away goes nowhere (the socket is
      // gone): the matchmaker holds signals and tells the recovered connection what it missed.
      emit: (socketId, event, ...args) =>
        event === 'stats' ? io.to(socketId).emit(event, ...args) : io.sockets.sockets.get(socketId)?.emit(event, ...args),
      disconnect: (socketId) => io.sockets.sockets.get(socketId)?.disconnect(true),
    },
    onCallEnded: (call) => writes.push(`call ${call.matchId}`, () => store.recordCall(call)),
  });

  const moderation = new Moderation(store, {
    banned: (ban) => safety.banned(ban),
    lifted: (installId) => safety.lifted(installId),
  });
  // req.ip: the socket's address, or the first X-Forwarded-For one behind a trusted proxy (rate limits only).
  app.set('trust proxy', options.TRUST_PROXY);
  app.use(healthRouter({ matchmaker, storeKind: store.kind, writes, startedAt }));
  app.use(landingRouter({ matchmaker }));
  app.use(privacyRouter({ retentionDays: options.RETENTION_DAYS, contact: options.PRIVACY_CONTACT, relayOnly: turn !== undefined }));
  app.use(
    appealRouter({
      moderation,
      allowedOrigins: options.ALLOWED_ORIGINS,
      points: options.RATE_REPORT_POINTS * options.RATE_ADDRESS_FACTOR,
      windowS: options.RATE_REPORT_WINDOW_S,
    }),
  );
  app.use(
    '/mod',
    modRouter({
      moderation,
      moderators: options.MODERATORS,
      sessionTtlMs: options.MOD_SESSION_TTL_S * 1000,
      signin: { points: options.MOD_SIGNIN_POINTS, windowS: options.MOD_SIGNIN_WINDOW_S, addressFactor: options.RATE_ADDRESS_FACTOR },
    }),
  );
  // A fault (the store down, most likely) is logged and answered plainly: no stack, nothing about the request.
  app.use(((error, _req, res, _next) => {
    // A client's fault (a body too large or malformed) keeps its 4xx; anything else is ours.
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return void res.status(status).type('text').send('Bad request.');
    log.error({ err: error }, 'request failed');
    res.status(500).type('text').send('Internal error; try again.');
  }) as express.ErrorRequestHandler);
  const lifetime = new AbortController();
  scheduleRetention(store, { maxAgeMs: options.RETENTION_DAYS * 86_400_000, sweepEveryMs: options.RETENTION_SWEEP_S * 1000 }, log, lifetime.signal);

  const buckets = createBuckets(options);

  io.use(handshakeMiddleware(options.ALLOWED_ORIGINS, safety));
  io.on('connection', (socket) => {
    const socketLog = log.child({ socket: socket.id });
    const { installId } = socket.data;
    matchmaker.connect(socket.id, installId, socket.recovered);
    socketLog.debug({ recovered: socket.recovered }, 'connected');
    attachHandlers(socket, { matchmaker, safety, buckets, address: clientAddress(socket, options.TRUST_PROXY), log: socketLog });
    socket.on('disconnect', (reason) => {
      matchmaker.disconnect(socket.id);
      safety.disconnected(installId);
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
    safety,
    moderation,
    writes,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => resolve((http.address() as AddressInfo).port));
      }),
    close: () =>
      (closing ??= (async () => {
        clearInterval(sweepTimer);
        clearInterval(statsTimer);
        lifetime.abort();
        // Calls are not ended: peers keep talking and resume them on the next process.
        matchmaker.close();
        io.emit('server:closing', { reconnectAfterMs: options.SHUTDOWN_GRACE_MS });
        // Let engine.io flush those goodbyes before the sockets close under them.
        await new Promise((resolve) => setTimeout(resolve, 100));
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await writes.close(1000);
        await store.close();
      })()),
  };
}
