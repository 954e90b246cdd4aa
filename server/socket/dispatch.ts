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
import { MatchmakerError, type Matchmaker } from '../services/matchmaker';
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
  deps: { matchmaker: Matchmaker; safety: Safety; buckets: Buckets; address: string; log: Logger },
): void {
  const { matchmaker, safety, buckets, address, log } = deps;

  const reply = (event: string, ack: ((body: unknown) => void) | undefined, body: AckError) => {
    if (ack) ack(body);
    else socket.emit('protocol:error', { event: event.slice(0, 100), error: body.error });
  };

  async function dispatch(event: ClientEventName, args: unknown[]): Promise<void> {
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as (body: unknown) => void) : undefined;
    if (!ack) return reply(event, ack, fail('no_ack', `${event} needs an acknowledgement callback.`));
    try {
      const bucket = buckets[HANDLERS[event].bucket];
      await bucket.socket.consume(socket.id);
      await bucket.address.consume(address);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      return reply(event, ack, fail('rate_limited', 'Too many requests; slow down.', Math.ceil(error.msBeforeNext)));
    }
    if (!socket.connected) return;
    const parsed = args.length === 1 ? CLIENT_EVENTS[event].safeParse(args[0]) : undefined;
    if (!parsed?.success) {
      const detail = parsed?.error.issues[0];
      const where = detail ? `${detail.path.join('.') || 'payload'}: ${detail.message}` : 'expected exactly one payload argument';
      return reply(event, ack, fail('invalid_payload', `Invalid ${event} payload (${where}).`));
    }
    const after: Array<() => void> = [];
    const ctx = { socketId: socket.id, matchmaker, safety, log, afterAck: (fn: () => void) => void after.push(fn) };
    try {
      const handler = HANDLERS[event] as EventHandler<typeof event>;
      // parsed.data is CLIENT_EVENTS[event]'s output, which is exactly what HANDLERS[event] takes;
      // TypeScript cannot correlate the two lookups through the `event` union.
      ack({ ok: true, ...(await handler.handle(ctx, parsed.data as never)) });
      for (const fn of after) fn();
    } catch (error) {
      if (error instanceof MatchmakerError) return reply(event, ack, fail(error.code, error.message, error.retryAfterMs));
      log.error({ err: error, event }, 'handler failed');
      reply(event, ack, fail('internal', 'Something went wrong on the server.'));
    }
  }

  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (isClientEvent(event)) {
      dispatch(event, args).catch((error) => log.error({ err: error, event }, 'dispatch failed'));
      return;
    }
    const ack = typeof args.at(-1) === 'function' ? (args.at(-1) as (body: unknown) => void) : undefined;
    reply(String(event), ack, fail('unknown_event', 'No such event.'));
  });
}
