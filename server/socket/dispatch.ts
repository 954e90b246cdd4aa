/**
 * Turns raw Socket.IO events into handler calls: checks the ack callback,
 * spends from the rate bucket, validates the payload against shared/, and
 * maps every failure to a stable error code. Nothing a client sends can throw
 * out of here.
 */
import type { Logger } from 'pino';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Socket } from 'socket.io';
import type { ErrorCode } from '../../shared/errors';
import { CLIENT_EVENTS, type AckError, type ClientEventName, type ClientToServerEvents, type ServerToClientEvents } from '../../shared/protocol';
import { HANDLERS } from '../handlers';
import type { EventHandler } from '../handlers/types';
import type { LiveState } from '../live/types';
import { MatchmakerError } from '../services/matchmaker';
import type { Safety } from '../services/safety';

/** Each bucket has a per-connection and a per-address limiter; an event spends from both. */
export type Buckets = Record<EventHandler<ClientEventName>['bucket'], { socket: RateLimiterAbstract; address: RateLimiterAbstract }>;
type TabcallSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

const fail = (code: ErrorCode, message: string, retryAfterMs?: number): AckError => ({
  ok: false,
  error: retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs },
});

const isClientEvent = (event: unknown): event is ClientEventName =>
  typeof event === 'string' && Object.hasOwn(CLIENT_EVENTS, event);

export function attachHandlers(
  socket: TabcallSocket,
  deps: {
    live: LiveState;
    safety: Safety;
    buckets: Buckets;
    address: string;
    log: Logger;
    /** Runs this connection's tasks in order (after the live state knows it). */
    serial: <T>(task: () => Promise<T>) => Promise<T>;
  },
): void {
  const { live, safety, buckets, address, log, serial } = deps;

  const reply = (event: string, ack: ((body: unknown) => void) | undefined, body: AckError) => {
    if (ack) ack(body);
    else socket.emit('protocol:error', { event: event.slice(0, 100), error: body.error });
  };

  async function dispatch(event: ClientEventName, args: unknown[]): Promise<void> {
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as (body: unknown) => void) : undefined;
    if (!ack) return reply(event, ack, fail('no_ack', `${event} needs an acknowledgement callback.`));
    const limited = await spend(HANDLERS[event].bucket);
    if (limited !== undefined) return reply(event, ack, fail('rate_limited', 'Too many requests; slow down.', limited));
    if (!socket.connected) return;
    const parsed = args.length === 1 ? CLIENT_EVENTS[event].safeParse(args[0]) : undefined;
    if (!parsed?.success) {
      const detail = parsed?.error.issues[0];
      const where = detail ? `${detail.path.join('.') || 'payload'}: ${detail.message}` : 'expected exactly one payload argument';
      return reply(event, ack, fail('invalid_payload', `Invalid ${event} payload (${where}).`));
    }
    const after: Array<() => void> = [];
    const ctx = { socketId: socket.id, live, safety, log, afterAck: (fn: () => void) => void after.push(fn) };
    try {
      const handler = HANDLERS[event] as EventHandler<typeof event>;
      // parsed.data is CLIENT_EVENTS[event]'s output, which is exactly what HANDLERS[event] takes;
      // TypeScript cannot correlate the two lookups through the `event` union.
      const body = await serial(async () => handler.handle(ctx, parsed.data as never));
      ack({ ok: true, ...body });
      for (const fn of after) fn();
    } catch (error) {
      if (error instanceof MatchmakerError) return reply(event, ack, fail(error.code, error.message, error.retryAfterMs));
      log.error({ err: error, event }, 'handler failed');
      reply(event, ack, fail('internal', 'Something went wrong on the server.'));
    }
  }

  /** Spends one point from both limiters of a bucket; resolves with the wait in ms when refused. */
  async function spend(name: EventHandler<ClientEventName>['bucket']): Promise<number | undefined> {
    try {
      const bucket = buckets[name];
      await bucket.socket.consume(socket.id);
      await bucket.address.consume(address);
      return undefined;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      return Math.ceil(error.msBeforeNext);
    }
  }

  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (isClientEvent(event)) {
      dispatch(event, args).catch((error) => log.error({ err: error, event }, 'dispatch failed'));
      return;
    }
    // Unknown events cost a queue point each, and past the limit get no answer: a flood buys nothing.
    const ack = typeof args.at(-1) === 'function' ? (args.at(-1) as (body: unknown) => void) : undefined;
    spend('queue').then(
      (limited) => limited === undefined && reply(String(event), ack, fail('unknown_event', 'No such event.')),
      (error) => log.error({ err: error }, 'rate limit failed'),
    );
  });
}
