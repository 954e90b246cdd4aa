/**
 * Marks of the hops of a call's set-up (click → worker → server → the
 * stranger's worker → offscreen document → ICE → first frame), as User Timing
 * marks that bench/call.ts reads from every context. Each hop keeps only its
 * latest mark (clearMarks first), so the buffer never grows, and nothing in
 * the extension reads them back: a mark costs about a microsecond.
 */
export type Hop =
  // a view (popup, side panel)
  | 'view:command'
  | 'view:match'
  | 'view:remote-track'
  // the service worker
  | 'worker:command'
  | 'worker:emit-queue'
  | 'worker:match-found'
  | 'worker:published'
  | 'worker:call-sent'
  | 'worker:offer-out'
  | 'worker:offer-in'
  | 'worker:answer-out'
  | 'worker:answer-in'
  // the offscreen document
  | 'offscreen:call'
  | 'offscreen:peer-ready'
  | 'offscreen:offer-set'
  | 'offscreen:offer-received'
  | 'offscreen:remote-offer-set'
  | 'offscreen:answer-set'
  | 'offscreen:answer-received'
  | 'offscreen:remote-answer-set'
  | 'offscreen:track'
  | 'offscreen:ice-connected'
  | 'offscreen:connected'
  | 'offscreen:remote-video';

export const TRACE_PREFIX = 'tabcall:';

export function mark(hop: Hop): void {
  const name = TRACE_PREFIX + hop;
  performance.clearMarks(name);
  performance.mark(name);
}
