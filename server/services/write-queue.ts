/**
 * Writes the database must eventually get (call records, the ban counting
 * after a report), retried in order until it answers. Bounded: when full,
 * the oldest write is given up, logged and counted, so an outage cannot
 * grow the heap without limit. Every task must be idempotent (a timed-out
 * attempt may still land).
 */
import type { Logger } from 'pino';
import { TIMED_OUT, withDeadline } from './deadline';

export interface WriteQueueOptions {
  maxPending: number;
  /** One attempt's deadline: a hung database must not stall the queue forever. */
  attemptMs: number;
  /** Backoff between failed attempts: doubles from min to max. */
  retryMinMs: number;
  retryMaxMs: number;
  log: Logger;
}

interface Task {
  label: string;
  run: () => Promise<void>;
}

export class WriteQueue {
  readonly #tasks: Task[] = [];
  #lost = 0;
  #written = 0;
  #running = false;
  #closed = false;
  /** Wakes the retry wait early (on close). */
  #wake?: () => void;

  constructor(private readonly options: WriteQueueOptions) {}

  stats(): { pending: number; lost: number; written: number } {
    return { pending: this.#tasks.length, lost: this.#lost, written: this.#written };
  }

  push(label: string, run: () => Promise<void>): void {
    this.#tasks.push({ label, run });
    if (this.#tasks.length > this.options.maxPending) {
      const dropped = this.#tasks.shift()!;
      this.#lost++;
      this.options.log.error({ write: dropped.label, lost: this.#lost }, 'write queue full: a write was given up');
    }
    if (!this.#running) void this.#drain();
  }

  /** Tries to finish pending writes within `ms`, then stops retrying; what is left is counted lost. */
  async close(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.#tasks.length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    this.#closed = true;
    this.#wake?.();
    if (this.#tasks.length > 0) {
      this.#lost += this.#tasks.length;
      this.options.log.error({ lost: this.#tasks.length }, 'shutting down with unwritten writes');
      this.#tasks.length = 0;
    }
  }

  async #drain(): Promise<void> {
    this.#running = true;
    let delay = this.options.retryMinMs;
    while (this.#tasks.length > 0 && !this.#closed) {
      const task = this.#tasks[0]!;
      let failure: unknown;
      try {
        if ((await withDeadline(task.run(), this.options.attemptMs)) === TIMED_OUT) failure = 'timed out';
      } catch (error) {
        failure = error;
      }
      if (failure === undefined) {
        // The head may have been dropped meanwhile (queue full): remove this task, wherever it is.
        const at = this.#tasks.indexOf(task);
        if (at >= 0) this.#tasks.splice(at, 1);
        this.#written++;
        delay = this.options.retryMinMs;
        continue;
      }
      this.options.log.warn({ write: task.label, pending: this.#tasks.length, retryInMs: delay, err: failure }, 'database write failed; will retry');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        timer.unref();
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      delay = Math.min(delay * 2, this.options.retryMaxMs);
    }
    this.#running = false;
  }
}
