/**
 * A person's client as the extension behaves on the wire: keeps its resume
 * token, reconnects by itself (Socket.IO backoff) and sends session:resume
 * after every reconnect while it believes it is in a call. Records what it
 * receives, for assertions.
 */
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import type { ResumeAck, SignalData } from '../../shared/protocol';
import type { Client } from './server';

export interface Received {
  event: string;
  payload: any;
  at: number;
}

export class Person {
  readonly socket: Client;
  readonly installId: string;
  token?: string;
  matchId?: string;
  role?: 'offerer' | 'answerer';
  partner?: 'present' | 'away';
  /** A session:resume is on its way. */
  resuming = false;
  readonly received: Received[] = [];
  /** Every automatic resume's ack, with how long it took. */
  readonly resumes: Array<{ ack: { ok: boolean; state?: ResumeAck['state']; partner?: 'present' | 'away'; [key: string]: unknown }; ms: number }> = [];

  constructor(url: string, options: { installId?: string; reconnectionDelay?: number; ca?: string } = {}) {
    this.installId = options.installId ?? randomUUID();
    this.socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      auth: { installId: this.installId },
      reconnectionDelay: options.reconnectionDelay ?? 100,
      reconnectionDelayMax: 500,
      randomizationFactor: 0.3,
      ca: options.ca,
    }) as Client;
    this.socket.on('connect', () => {
      if (this.token) void this.resume();
    });
    this.socket.onAny((event: string, payload: any) => {
      this.received.push({ event, payload, at: Date.now() });
      if (event === 'match:found') {
        this.token = payload.resumeToken;
        this.matchId = payload.matchId;
        this.role = payload.role;
        this.partner = 'present';
      } else if (event === 'match:ended' && payload.matchId === this.matchId) {
        this.#idle();
      } else if (event === 'partner:away' && payload.matchId === this.matchId) {
        this.partner = 'away';
      } else if (event === 'partner:back' && payload.matchId === this.matchId) {
        this.partner = 'present';
      }
    });
  }

  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  async resume(): Promise<void> {
    const startedAt = Date.now();
    let ack;
    this.resuming = true;
    try {
      ack = await this.socket.timeout(5000).emitWithAck('session:resume', { token: this.token! });
    } catch {
      return; // dropped again before the answer: the next connect resumes
    } finally {
      this.resuming = false;
    }
    this.resumes.push({ ack, ms: Date.now() - startedAt });
    if (!ack.ok) return;
    if (ack.state === 'matched') {
      this.token = ack.resumeToken;
      this.matchId = ack.matchId;
      this.role = ack.role;
      this.partner = ack.partner;
    } else {
      this.#idle();
    }
  }

  async join() {
    return this.socket.timeout(5000).emitWithAck('queue:join', {});
  }

  async signal(data: SignalData) {
    return this.socket.timeout(5000).emitWithAck('signal', { matchId: this.matchId!, data });
  }

  /** Events received since index `from` (default: all). */
  events(event: string, from = 0): any[] {
    return this.received.slice(from).filter((r) => r.event === event).map((r) => r.payload);
  }

  close(): void {
    this.socket.close();
  }

  /** Forgets the call (before Next, Stop or Report: the ack, not match:ended, says it is over). */
  forget(): void {
    this.#idle();
  }

  #idle(): void {
    this.token = undefined;
    this.matchId = undefined;
    this.role = undefined;
    this.partner = undefined;
  }
}

/** Two people paired with each other (no one else may be waiting). */
export async function pairPeople(url: string, options: { first?: string; second?: string; firstUrl?: string } = {}): Promise<[Person, Person]> {
  const a = new Person(options.firstUrl ?? url, { installId: options.first });
  const b = new Person(url, { installId: options.second });
  await Promise.all([a.connected(), b.connected()]);
  await a.join();
  await b.join();
  const deadline = Date.now() + 5000;
  while (!(a.matchId && a.matchId === b.matchId)) {
    if (Date.now() > deadline) throw new Error('not paired with each other');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return [a, b];
}
