/**
 * Builds the Tabcall server: Express routes and Socket.IO signaling sharing
 * one HTTP server. Nothing here reads the environment; main.ts does.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
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
import { MemoryLiveState } from './live/memory';
import { RedisLiveState } from './live/redis';
import type { EndedCall, LiveState, Transport } from './live/types';
import type { Matchmaker } from './services/matchmaker';
import { ResumeTokens } from './services/resume-token';
import { WriteQueue } from './services/write-queue';
import { Safety } from './services/safety';
import { turnServer } from './services/turn';
import { attachHandlers, type Buckets } from './socket/dispatch';
import type { Store } from './store';

export type TabcallIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Two connections to the same Redis: commands and scripts, and this node's effects channel. */
export interface RedisClients {
  client: Redis;
  sub: Redis;
}

export interface TabcallServer {
  readonly http: HttpServer;
  readonly io: TabcallIo;
  /** Sessions, queue, matches, blocks, bans: in memory, or on Redis shared by every process. */
  readonly live: LiveState;
  /** The in-memory live state's matchmaker, for in-process tests; throws on Redis. */
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
  | 'MAX_CONNECTIONS_PER_ADDRESS'
>;

/**
 * Token buckets per connection, and per address at RATE_ADDRESS_FACTOR times
 * the allowance. On Redis the address buckets are shared by every process
 * (one address may reach several through the load balancer), with an
 * in-memory insurance limiter while Redis does not answer; a connection lives
 * on one process, so its buckets stay in memory.
 */
function createBuckets(options: ServerOptions, redis: Redis | undefined): Buckets {
  let n = 0;
  const shared = (points: number, duration: number) => {
    const insuranceLimiter = new RateLimiterMemory({ points, duration });
    return redis
      ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `tc:rl${n++}`, points, duration, rejectIfRedisNotReady: true, insuranceLimiter })
      : insuranceLimiter;
  };
  const pair = (points: number, duration: number) => ({
    socket: new RateLimiterMemory({ points, duration }),
    address: shared(points * options.RATE_ADDRESS_FACTOR, duration),
  });
  return {
    queue: pair(options.RATE_QUEUE_POINTS, options.RATE_QUEUE_WINDOW_S),
    signal: pair(options.RATE_SIGNAL_POINTS, options.RATE_SIGNAL_WINDOW_S),
    report: pair(options.RATE_REPORT_POINTS, options.RATE_REPORT_WINDOW_S),
  };
}

/** Runs async tasks one after another (one connection's events, in the order they came). */
function serialise() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

/** The client's address, for rate limits only: never stored, never logged, never sent to anyone. */
function clientAddress(socket: { handshake: { address: string; headers: Record<string, string | string[] | undefined> } }, trustProxy: boolean) {
  const forwarded = socket.handshake.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string') return forwarded.split(',')[0]!.trim();
  return socket.handshake.address;
}

export function createTabcallServer(options: ServerOptions, deps: { store: Store; log: Logger; redis?: RedisClients; nodeId?: string }): TabcallServer {
  const { store, log, redis } = deps;
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
    // One process: a brief network drop keeps the connection's identity; the handshake checks (bans) still run.
    // Several: what a connection missed lives in Redis, not in this process; clients resume with their token.
    ...(redis ? {} : { connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares: false } }),
  });

  // Writes that may wait for the database; each attempt gets 5 s, retries back off to 5 s.
  const writes = new WriteQueue({ maxPending: 10_000, attemptMs: 5000, retryMinMs: 250, retryMaxMs: 5000, log });
  const turn = options.TURN_SECRET ? { urls: options.TURN_URLS, secret: options.TURN_SECRET, ttlS: options.TURN_TTL_S } : undefined;

  const transport: Transport = {
    // Only this process's connections: on Redis, each node receives exactly what its own people are
    // sent, in order, on its effects channel (server/live/redis-scripts.ts).
    // With connection state recovery on (one process), Socket.IO stamps every packet with an offset and
    // keeps it for maxDisconnectionDuration, so a connection recovered within that time of its last packet
    // keeps its identity. What is emitted while a connection is away goes nowhere (the socket is
    // gone): the matchmaker holds signals and tells the recovered connection what it missed.
    emit: (socketId, event, ...args) =>
      event === 'stats' ? io.to(socketId).emit(event, ...args) : io.sockets.sockets.get(socketId)?.emit(event, ...args),
    disconnect: (socketId) => io.sockets.sockets.get(socketId)?.disconnect(true),
  };
  const liveOptions = {
    transport,
    interestWaitMs: options.INTEREST_WAIT_MS,
    iceServers: (installId: string) => (turn ? [...options.ICE_SERVERS, turnServer(turn, installId)] : options.ICE_SERVERS),
    relayOnly: turn !== undefined,
    graceMs: options.RESUME_GRACE_S * 1000,
    tokens: new ResumeTokens(options.RESUME_SECRET ?? DEV_RESUME_SECRET, options.RESUME_TOKEN_TTL_S * 1000),
    tombstoneMs: options.RESUME_TOKEN_TTL_S * 1000,
    onCallEnded: (call: EndedCall) => writes.push(`call ${call.matchId}`, () => store.recordCall(call)),
  };
  const live: LiveState = redis
    ? new RedisLiveState({
        ...liveOptions,
        redis: redis.client,
        subscriber: redis.sub,
        nodeId: deps.nodeId,
        log,
        localSockets: () => io.sockets.sockets.keys(),
        // Redis forgot these connections (it restarted empty): they reconnect and resume, as after a deploy.
        onLost: (socketIds) => {
          for (const socketId of socketIds) {
            const socket = io.sockets.sockets.get(socketId);
            socket?.emit('server:closing', { reconnectAfterMs: 0 });
            // Closing the transport (not a server disconnect) lets the client's own reconnection run.
            setTimeout(() => socket?.conn.close(), 100).unref();
          }
        },
      })
    : new MemoryLiveState(liveOptions);

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
    live,
  });

  const moderation = new Moderation(store, {
    banned: (ban) => safety.banned(ban),
    lifted: (installId) => safety.lifted(installId),
  });
  // req.ip: the socket's address, or the first X-Forwarded-For one behind a trusted proxy (rate limits only).
  app.set('trust proxy', options.TRUST_PROXY);
  app.use(healthRouter({ live, storeKind: store.kind, writes, startedAt, connections: () => io.engine.clientsCount }));
  app.use(landingRouter({ live }));
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

  const buckets = createBuckets(options, redis?.client);
  // Addresses are counted under a keyed hash: never in clear, not even in Redis.
  const addressKey = (address: string) => createHmac('sha256', options.RESUME_SECRET ?? DEV_RESUME_SECRET).update(address).digest('base64url').slice(0, 22);

  io.use(
    handshakeMiddleware(options.ALLOWED_ORIGINS, safety, {
      live,
      cap: options.MAX_CONNECTIONS_PER_ADDRESS,
      addressKey: (socket) => addressKey(clientAddress(socket, options.TRUST_PROXY)),
    }),
  );
  io.on('connection', (socket) => {
    const socketLog = log.child({ socket: socket.id });
    const { installId, addressKey: counted } = socket.data;
    // Everything this connection does runs in order, after the live state knows it.
    const serial = serialise();
    serial(() => live.connect(socket.id, installId, socket.recovered)).catch((error) =>
      socketLog.warn({ err: error }, 'live state did not take the connection; it will be asked to reconnect'),
    );
    socketLog.debug({ recovered: socket.recovered }, 'connected');
    attachHandlers(socket, { live, safety, buckets, serial, address: clientAddress(socket, options.TRUST_PROXY), log: socketLog });
    socket.on('disconnect', (reason) => {
      serial(async () => {
        await live.disconnect(socket.id);
        if (counted) await live.releaseAddress(counted);
      }).catch(() => {});
      socketLog.debug({ reason }, 'disconnected');
    });
  });

  // The sweep retries people whose interest wait ran out; 1/4 of the wait keeps the delay small.
  const sweepTimer = setInterval(() => void live.tick().catch(() => {}), Math.max(50, Math.min(500, options.INTEREST_WAIT_MS / 4)));
  const statsTimer = setInterval(() => void live.broadcastStats().catch(() => {}), options.STATS_INTERVAL_MS);
  sweepTimer.unref();
  statsTimer.unref();

  let closing: Promise<void> | undefined;
  return {
    http,
    io,
    live,
    get matchmaker() {
      if (!(live instanceof MemoryLiveState)) throw new Error('the matchmaker is in this process only without Redis');
      return live.matchmaker;
    },
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
        await live.close();
        io.emit('server:closing', { reconnectAfterMs: options.SHUTDOWN_GRACE_MS });
        // Let engine.io flush those goodbyes before the sockets close under them.
        await new Promise((resolve) => setTimeout(resolve, 100));
        await new Promise<void>((resolve) => io.close(() => resolve()));
        // On Redis the sessions here just turned away (their disconnects ran): let those scripts finish.
        await new Promise((resolve) => setTimeout(resolve, redis ? 200 : 0));
        await writes.close(1000);
        await store.close();
        if (redis) await Promise.allSettled([redis.client.quit(), redis.sub.quit()]);
      })()),
  };
}
