/**
 * Soak child: the real Tabcall server in its own process (so its heap and
 * RSS are its own), answering the soak's IPC checks with the pairing
 * invariants, read from the matchmaker's own state.
 */
import pino from 'pino';
import { createTabcallServer } from '../server/app';
import { parseConfig } from '../server/config';
import type { MemoryLiveState } from '../server/live/memory';
import type { Session } from '../server/services/matchmaker';
import { MemoryStore } from '../server/store/memory-store';

const config = parseConfig({
  ICE_SERVERS: '[]',
  RATE_QUEUE_POINTS: '10000',
  RATE_SIGNAL_POINTS: '100000',
  RATE_REPORT_POINTS: '1000',
  // Reports block pairs; keep everyone in the population (bans are tested elsewhere).
  REPORT_BAN_THRESHOLD: '1000',
  RESUME_GRACE_S: process.env.RESUME_GRACE_S ?? '5',
});
const server = createTabcallServer(config, { store: new MemoryStore(), log: pino({ level: 'silent' }) });
const { matchmaker } = server;
const live = server.live as MemoryLiveState;
/** Someone waiting longer than this while a compatible person waits too is stuck. */
const STUCK_MS = 2000;

function check() {
  const violations: string[] = [];
  const matchesOf = new Map<string, Set<string>>();
  const seats = (session: Session) => {
    const match = session.match;
    if (!match) return violations.push(`${session.state} session without a match`);
    const partner = match.offerer === session ? match.answerer : match.offerer;
    if (partner.match !== match) violations.push('asymmetric pair');
    if (partner.state !== 'matched' && partner.state !== 'away') violations.push(`partner is ${partner.state}`);
    if (partner.installId === session.installId) violations.push('paired with itself');
    const set = matchesOf.get(session.installId) ?? new Set();
    set.add(match.id);
    matchesOf.set(session.installId, set);
  };
  for (const session of matchmaker.sessions()) if (session.state === 'matched') seats(session);
  for (const session of matchmaker.awaySessions()) {
    if (session.state !== 'away') violations.push('away list holds a non-away session');
    seats(session);
  }
  for (const [, matches] of matchesOf) if (matches.size > 1) violations.push('someone in two matches');
  const now = matchmaker.now();
  const waiting = [...matchmaker.queueEntries()];
  for (const entry of waiting) {
    const session = matchmaker.session(entry.id);
    if (session?.state !== 'waiting') violations.push(`queued while ${session?.state ?? 'gone'} (away people are never paired)`);
  }
  let stuck = 0;
  let maxWaitMs = 0;
  for (const entry of waiting) {
    const waited = now - entry.joinedAt;
    maxWaitMs = Math.max(maxWaitMs, waited);
    if (waited <= STUCK_MS) continue;
    const compatible = waiting.some(
      (other) =>
        other !== entry &&
        other.installId !== entry.installId &&
        now - other.joinedAt > STUCK_MS &&
        !live.isBlockedNow(entry.installId, other.installId) &&
        // Rule 5: the two who just parted wait out INTEREST_WAIT_MS before meeting again.
        (entry.avoid !== other.installId && other.avoid !== entry.installId || (waited >= config.INTEREST_WAIT_MS && now - other.joinedAt >= config.INTEREST_WAIT_MS)),
    );
    if (compatible) stuck++;
  }
  const memory = process.memoryUsage();
  return { violations, stuck, maxWaitMs, stats: matchmaker.stats(), heapUsed: memory.heapUsed, rss: memory.rss };
}

server.listen(0, '127.0.0.1').then((port) => process.send!({ type: 'listening', port }));
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'check') process.send!({ type: 'check', ...check() });
  if (message?.type === 'gc') {
    for (let i = 0; i < 3; i++) globalThis.gc?.();
    process.send!({ type: 'gc', ...check() });
  }
});
