/**
 * `npm run soak`: SOAK_CLIENTS (200) socket.io clients against the real
 * server in its own process, SOAK_OPS (50) random operations a second —
 * join, Next, leave, drop (the transport dies; Socket.IO reconnects and the
 * client resumes), resume (a brand-new socket resumes the call, as after a
 * worker restart), report — for SOAK_SECONDS (120). Twice a second the
 * server's pairing invariants are checked from its own state; clients check
 * they are never in two calls. Prints the figures and exits 1 on any
 * violation.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Person } from '../tests/helpers/resuming-client';

const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 200);
const OPS_PER_S = Number(process.env.SOAK_OPS ?? 50);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);

interface Check {
  violations: string[];
  stuck: number;
  maxWaitMs: number;
  stats: { online: number; waiting: number; inCalls: number; away: number };
  heapUsed: number;
  rss: number;
}

const child = fork(fileURLToPath(new URL('./soak-server.ts', import.meta.url)), [], {
  execArgv: ['--expose-gc', '--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
function ask(type: 'check' | 'gc'): Promise<Check> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & Check) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}
const port = await new Promise<number>((resolve) =>
  child.on('message', function onListening(message: { type: string; port: number }) {
    if (message.type === 'listening') {
      child.off('message', onListening);
      resolve(message.port);
    }
  }),
);
const url = `http://127.0.0.1:${port}`;

/** One soak person: a Person plus the client-side invariant (never told of a second call while in one). */
class SoakPerson {
  person: Person;
  doubleMatch = 0;
  joinedAt?: number;
  maxWaitMs = 0;
  /** An operation of theirs awaits its ack: like the extension, one at a time. */
  busy = false;
  /** What this person did last (for SOAK_DEBUG). */
  readonly log: string[] = [];

  constructor(installId?: string) {
    this.person = this.#attach(new Person(url, { installId, reconnectionDelay: 200 }));
  }

  #attach(person: Person): Person {
    // A dropped connection leaves the queue, whatever dropped it: the wait starts again on rejoining.
    person.socket.on('disconnect', () => (this.joinedAt = undefined));
    person.socket.on('match:found', () => {
      if (process.env.SOAK_DEBUG && this.joinedAt !== undefined && Date.now() - this.joinedAt > 2000) {
        console.log('DEBUG long wait', Date.now() - this.joinedAt, JSON.stringify(this.log.slice(-6)), JSON.stringify(person.received.slice(-6).map((r) => [r.event, r.at - this.joinedAt!])));
      }
      if (this.joinedAt !== undefined) this.maxWaitMs = Math.max(this.maxWaitMs, Date.now() - this.joinedAt);
      this.joinedAt = undefined;
    });
    // Runs before Person's own listener: a match:found while it still holds a call means two calls at once.
    person.socket.prependAny((event: string) => {
      if (event === 'match:found' && person.matchId !== undefined) {
        this.doubleMatch++;
        if (process.env.SOAK_DEBUG) console.log('DEBUG double', person.matchId, JSON.stringify(person.received.slice(-6).map((r) => [r.event, r.payload?.matchId ?? r.payload?.reconnectAfterMs, r.payload?.reason])), JSON.stringify(this.log.slice(-6)));
      }
    });
    return person;
  }

  /** A brand-new socket of the same install takes the call back (a restarted worker). */
  replace(): void {
    const { installId, token, matchId } = this.person;
    this.person.close();
    this.person = this.#attach(new Person(url, { installId, reconnectionDelay: 200 }));
    this.person.token = token;
    this.person.matchId = matchId;
  }
}

const people: SoakPerson[] = [];
for (let i = 0; i < CLIENTS; i++) people.push(new SoakPerson());
await Promise.all(people.map((p) => p.person.connected()));
const before = await ask('gc');

const ops = { join: 0, next: 0, leave: 0, drop: 0, resume: 0, report: 0 };
const failures: Record<string, number> = {};
let violations: string[] = [];
let stuckSeen = 0;
let maxServerWaitMs = 0;
let peakAway = 0;

/** A wait starts when an ack says `waiting` (an earlier start, if already waiting, is kept); a match ends it. */
function waitingFrom(who: SoakPerson, ack: { ok: boolean; state?: string }, sentAt: number): void {
  // The ack's continuation runs after events read in the same chunk: a match:found may already be in.
  if (ack.ok && ack.state === 'waiting' && who.person.matchId === undefined) who.joinedAt ??= sentAt;
  else if (ack.ok) who.joinedAt = undefined;
}

/** One random operation by a random person who can do it now (a few tries, then the slot is skipped). */
async function operate(): Promise<void> {
  const kinds = Object.keys(ops) as Array<keyof typeof ops>;
  for (let attempt = 0; attempt < 20; attempt++) {
    const who = people[Math.floor(Math.random() * people.length)]!;
    const { person } = who;
    const kind = kinds[Math.floor(Math.random() * kinds.length)]!;
    // Like the extension: one operation at a time, nothing while a resume is on its way, Start only when idle.
    if (who.busy || ((!person.socket.connected || person.resuming) && kind !== 'resume')) continue;
    if (kind === 'join' && person.matchId) continue;
    if (kind === 'resume' && !person.token) continue; // a restarted client with no call just reconnects: not a resume
    ops[kind]++;
    who.busy = true;
    try {
      await act(who, kind);
    } finally {
      who.busy = false;
    }
    return;
  }
}

async function act(who: SoakPerson, kind: keyof typeof ops): Promise<void> {
  const { person } = who;
  who.log.push(`${kind}@${person.matchId?.slice(0, 4) ?? '-'}:${Date.now() - (who.joinedAt ?? Date.now())}`);
  const emit = async (event: 'queue:join' | 'queue:next' | 'queue:leave') => {
    const ack = await person.socket.timeout(5000).emitWithAck(event, {}).catch(() => ({ ok: false, error: { code: 'timeout' } }));
    if (!ack.ok) failures[`${event}:${ack.error.code}`] = (failures[`${event}:${ack.error.code}`] ?? 0) + 1;
    return ack;
  };
  switch (kind) {
    case 'join':
    case 'next': {
      const sentAt = Date.now();
      if (kind === 'next') person.forget();
      const ack = await emit(kind === 'join' ? 'queue:join' : 'queue:next');
      waitingFrom(who, ack, sentAt);
      break;
    }
    case 'leave':
      who.joinedAt = undefined;
      person.forget();
      await emit('queue:leave');
      break;
    case 'drop':
      // A drop takes a waiting person out of the queue: their wait starts again when they rejoin.
      who.joinedAt = undefined;
      person.socket.io.engine.close();
      break;
    case 'resume':
      who.joinedAt = undefined;
      who.replace();
      break;
    case 'report':
      if (person.matchId) {
        const matchId = person.matchId;
        person.forget();
        const sentAt = Date.now();
        const ack = await person.socket.timeout(5000).emitWithAck('report', { matchId, reason: 'spam' }).catch(() => undefined);
        if (ack && !ack.ok) failures[`report:${ack.error.code}`] = (failures[`report:${ack.error.code}`] ?? 0) + 1;
        if (ack) waitingFrom(who, ack, sentAt);
      }
      break;
  }
}

const startedAt = Date.now();
// Catch up on the schedule each tick, so a busy event loop does not lower the rate.
let done = 0;
const opTimer = setInterval(() => {
  const due = Math.floor(((Date.now() - startedAt) / 1000) * OPS_PER_S);
  for (; done < due; done++) void operate();
}, 20);
const checkTimer = setInterval(() => {
  void ask('check').then((check) => {
    violations = violations.concat(check.violations);
    stuckSeen += check.stuck;
    maxServerWaitMs = Math.max(maxServerWaitMs, check.maxWaitMs);
    peakAway = Math.max(peakAway, check.stats.away);
  });
}, 500);
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
clearInterval(opTimer);
clearInterval(checkTimer);
const elapsedS = (Date.now() - startedAt) / 1000;
// Let reconnections in flight land before the final count.
await new Promise((resolve) => setTimeout(resolve, 2000));
const after = await ask('gc');
for (const p of people) p.person.close();
child.kill();

const totalOps = Object.values(ops).reduce((a, b) => a + b, 0);
const doubleMatches = people.reduce((n, p) => n + p.doubleMatch, 0);
const maxClientWaitMs = Math.max(...people.map((p) => p.maxWaitMs));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
console.log(`soak: ${CLIENTS} clients, ${OPS_PER_S} operations/s, ${elapsedS.toFixed(0)} s`);
console.log(`operations: ${totalOps} (${Object.entries(ops).map(([k, v]) => `${k} ${v}`).join(', ')})`);
console.log(`refused acks: ${JSON.stringify(failures)}`);
console.log(`invariant violations: ${violations.length}${violations.length ? ` (${[...new Set(violations)].join('; ')})` : ''}`);
console.log(`in two calls at once (client side): ${doubleMatches}`);
console.log(`stuck waiting > 2 s while a compatible person waited: ${stuckSeen}`);
console.log(`max wait for a match: ${Math.round(maxClientWaitMs)} ms seen by clients, ${Math.round(maxServerWaitMs)} ms in the server's queue`);
console.log(`peak away at once: ${peakAway}; at the end: ${JSON.stringify(after.stats)}`);
console.log(`server heap: ${mib(before.heapUsed)} before, ${mib(after.heapUsed)} after; RSS: ${mib(before.rss)} before, ${mib(after.rss)} after`);
process.exit(violations.length + doubleMatches + stuckSeen > 0 ? 1 : 0);
