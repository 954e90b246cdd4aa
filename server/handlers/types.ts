import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AckBodies, ClientEventName } from '../../shared/protocol';
import { CLIENT_EVENTS } from '../../shared/protocol';
import type { LiveState, SessionState } from '../live/types';
import type { Safety } from '../services/safety';

export interface HandlerContext {
  socketId: string;
  live: LiveState;
  safety: Safety;
  log: Logger;
  /** Runs `fn` right after the ack is sent (held signals follow a resume's ack). */
  afterAck(fn: () => void): void;
}

export type PayloadOf<E extends ClientEventName> = z.infer<(typeof CLIENT_EVENTS)[E]>;

/** One client event: which rate bucket it spends from and what it does with a valid payload. */
export interface EventHandler<E extends ClientEventName> {
  readonly event: E;
  readonly bucket: 'queue' | 'signal' | 'report';
  /** Runs with an already validated payload; throws (or rejects with) MatchmakerError to refuse. */
  handle(ctx: HandlerContext, payload: PayloadOf<E>): AckBodies[E] | Promise<AckBodies[E]>;
}

/** The ack of an event that leaves the person searching (join, next, report): where they are and who else is. */
export async function searchAck(live: LiveState, state: SessionState): Promise<AckBodies['queue:join']> {
  const { online, waiting } = await live.stats();
  return { state: state === 'matched' ? 'matched' : 'waiting', stats: { online, waiting } };
}
