/** What withDeadline resolves with when the promise was too slow. */
export const TIMED_OUT = Symbol('timed out');

/**
 * Waits for `promise` at most `ms`. The promise keeps running (its late
 * result is the caller's business); a rejection after the deadline is not
 * left unhandled.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
