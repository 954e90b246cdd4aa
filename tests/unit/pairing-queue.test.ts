import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Matchmaker, type Session, type Transport } from '../../server/services/matchmaker';
import { PairingQueue } from '../../server/services/pairing-queue';
import { ResumeTokens } from '../../server/services/resume-token';

describe('PairingQueue', () => {
  const entry = (id: string, interests: string[] = [], joinedAt = 0, installId = `i-${id}`, avoid?: string) => ({ id, installId, interests, joinedAt, avoid });

  it('is first come, first paired', () => {
    const q = new PairingQueue({ interestWaitMs: 1000 });
    q.add(entry('a'));
    q.add(entry('b'));
    q.add(entry('c'));
    expect(q.pairFor('c', 0)?.map((e) => e.id)).toEqual(['a', 'c']);
    expect(q.size).toBe(1);
  });

  it('prefers a shared interest over arrival order', () => {
    const q = new PairingQueue({ interestWaitMs: 1000 });
    q.add(entry('a'));
    q.add(entry('b', ['chess']));
    q.add(entry('c', ['chess']));
    expect(q.pairFor('c', 0)?.map((e) => e.id)).toEqual(['b', 'c']);
  });

  it('opens people with interests to anyone after the wait, via the sweep', () => {
    const q = new PairingQueue({ interestWaitMs: 1000 });
    q.add(entry('a', ['chess'], 0));
    q.add(entry('b', [], 500));
    expect(q.pairFor('b', 500)).toBeUndefined();
    expect(q.sweep(999)).toEqual([]);
    expect(q.sweep(1000).map((pair) => pair.map((e) => e.id))).toEqual([['b', 'a']]);
  });

  it('honours the canPair veto', () => {
    const q = new PairingQueue({ interestWaitMs: 0, canPair: (x, y) => !(x.id === 'a' && y.id === 'b') && !(x.id === 'b' && y.id === 'a') });
    q.add(entry('a'));
    q.add(entry('b'));
    expect(q.pairFor('b', 5000)).toBeUndefined();
  });

  it('re-adding someone who waits keeps their turn', () => {
    const q = new PairingQueue({ interestWaitMs: 1000 });
    q.add(entry('a', ['x'], 0));
    q.add(entry('b', ['y'], 1));
    q.add(entry('a', ['z'], 2));
    expect([...q.entries()].map((e) => [e.id, e.joinedAt, e.interests])).toEqual([
      ['a', 0, ['z']],
      ['b', 1, ['y']],
    ]);
  });
});

/**
 * Model test: random operation sequences against the matchmaker, drops,
 * resumes (tokens taken from what the server sent), grace expiry and bans
 * included; the invariants hold after every step.
 */
describe('Matchmaker state machine (model test)', () => {
  type Op =
    | { kind: 'connect'; install: number }
    | { kind: 'join' | 'next' | 'leave' | 'drop' | 'resume' | 'report'; who: number; interests?: string[] }
    | { kind: 'ban'; install: number }
    | { kind: 'tick'; advance: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('connect' as const), install: fc.nat(6) }), weight: 3 },
    {
      arbitrary: fc.record({
        kind: fc.constantFrom(...(['join', 'join', 'next', 'leave', 'drop', 'drop', 'resume', 'resume', 'report'] as const)),
        who: fc.nat(20),
        interests: fc.option(fc.subarray(['a', 'b', 'c']), { nil: undefined }),
      }),
      weight: 10,
    },
    { arbitrary: fc.record({ kind: fc.constant('ban' as const), install: fc.nat(6) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('tick' as const), advance: fc.nat(1500) }), weight: 3 },
  );

  const GRACE_MS = 1000;

  it('keeps pairs symmetric, away people out of the queue and within their grace, resumes consistent, the dropped told nothing', () => {
    // What the runs went through, so the test cannot pass by never reaching the interesting states.
    const seen = { away: 0, resumedMatched: 0, resumedIdle: 0, graceExpired: 0 };
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 150 }), (ops) => {
        let clock = 0;
        const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
        const dead = new Set<string>();
        const banned = new Set<string>();
        const inbox: Array<{ to: string; event: string; payload: any }> = [];
        /** Latest token each install was given, and the match it names. */
        const tokens = new Map<string, { token: string; matchId: string }>();
        const awaySince = new Map<string, number>();
        const transport: Transport = {
          emit: (to, event, payload) => {
            inbox.push({ to, event, payload });
            if (event === 'match:ended' && (payload as any).reason === 'disconnected') seen.graceExpired++;
            if (event === 'match:found') tokens.set(installOf.get(to)!, { token: (payload as any).resumeToken, matchId: (payload as any).matchId });
          },
          disconnect: (id) => {
            mm.disconnect(id);
            dead.add(id);
          },
        };
        const mm = new Matchmaker({
          transport,
          interestWaitMs: 300,
          graceMs: GRACE_MS,
          tombstoneMs: 60_000,
          tokens: new ResumeTokens('x'.repeat(32), 60_000),
          iceServers: () => [],
          isBanned: (installId) => banned.has(installId),
          now: () => clock,
          setTimer: (fn, ms) => {
            const timer = { at: clock + ms, fn, live: true };
            timers.push(timer);
            return () => void (timer.live = false);
          },
        });
        const installOf = new Map<string, string>();
        const ids: string[] = [];
        let n = 0;
        const open = (install: string) => {
          const id = `s${n++}`;
          ids.push(id);
          installOf.set(id, install);
          mm.connect(id, install);
          return id;
        };
        for (const step of ops) {
          if (step.kind === 'connect') {
            // The handshake refuses a banned install.
            if (!banned.has(`install-${step.install}`)) open(`install-${step.install}`);
          } else if (step.kind === 'tick') {
            clock += step.advance;
            for (const timer of timers.filter((t) => t.live && t.at <= clock).sort((a, b) => a.at - b.at)) {
              timer.live = false;
              timer.fn();
            }
            mm.tick();
          } else if (step.kind === 'ban') {
            const install = `install-${step.install}`;
            banned.add(install);
            mm.banned(install);
          } else {
            const id = ids[step.who % Math.max(ids.length, 1)];
            if (!id || dead.has(id)) continue;
            const install = installOf.get(id)!;
            if (step.kind === 'drop') {
              const wasMatched = mm.session(id)?.state === 'matched';
              mm.disconnect(id);
              dead.add(id);
              if (wasMatched) {
                awaySince.set(id, clock);
                seen.away++;
              }
            } else if (step.kind === 'resume') {
              // A fresh connection of the same install resumes its latest call.
              const known = tokens.get(install);
              if (!known || banned.has(install)) continue;
              const fresh = open(install);
              const before = inbox.length;
              let outcome;
              try {
                outcome = mm.resume(fresh, known.token);
              } catch (error) {
                expect((error as { code?: string }).code).toBe('token_expired');
                continue;
              }
              outcome.deliver?.();
              const session = mm.session(fresh)!;
              if (outcome.ack.state === 'matched') {
                seen.resumedMatched++;
                expect(outcome.ack.matchId).toBe(known.matchId);
                expect(session.state).toBe('matched');
                expect(session.match!.id).toBe(known.matchId);
                tokens.set(install, { token: outcome.ack.resumeToken, matchId: known.matchId });
              } else {
                seen.resumedIdle++;
                // Told how it ended, first thing, and idle.
                expect(inbox[before]).toMatchObject({ to: fresh, event: 'match:ended', payload: { matchId: known.matchId } });
                expect(session.state).toBe('idle');
              }
            } else {
              try {
                if (step.kind === 'join') mm.join(id, step.interests);
                else if (step.kind === 'next') mm.next(id);
                else if (step.kind === 'report') {
                  const session = mm.session(id)!;
                  if (!session.match) continue;
                  const { reporterId } = mm.reportTarget(id, session.match.id);
                  mm.endByReport(session.match.id, reporterId);
                } else mm.leave(id);
              } catch (error) {
                expect((error as { code?: string }).code).toBe('in_match');
              }
            }
          }
          const waiting = new Set<string>();
          let inCalls = 0;
          const check = (s: Session) => {
            if (s.state === 'matched' || s.state === 'away') {
              inCalls++;
              const m = s.match!;
              const partner = m.offerer === s ? m.answerer : m.offerer;
              expect(partner).not.toBe(s);
              expect(partner.installId).not.toBe(s.installId);
              expect(['matched', 'away']).toContain(partner.state);
              expect(partner.match).toBe(m);
              expect(partner.state === 'away' || !dead.has(partner.socketId)).toBe(true);
            } else {
              expect(s.match).toBeUndefined();
            }
          };
          for (const s of mm.sessions()) {
            expect(dead.has(s.socketId)).toBe(false);
            expect(s.state).not.toBe('away');
            if (s.state === 'waiting') waiting.add(s.socketId);
            check(s);
          }
          for (const s of mm.awaySessions()) {
            expect(s.state).toBe('away');
            expect(mm.session(s.socketId)).toBeUndefined();
            // Nobody stays away past the grace.
            const since = awaySince.get(s.socketId);
            if (since !== undefined) expect(clock - since).toBeLessThan(GRACE_MS);
            check(s);
          }
          const stats = mm.stats();
          expect(stats.waiting).toBe(waiting.size);
          expect(stats.inCalls).toBe(inCalls);
          // Nobody dropped is sent anything after dropping; nobody away is paired.
          for (const message of inbox.splice(0)) expect(dead.has(message.to)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
    expect(seen.away).toBeGreaterThan(10);
    expect(seen.resumedMatched).toBeGreaterThan(10);
    expect(seen.resumedIdle).toBeGreaterThan(10);
    expect(seen.graceExpired).toBeGreaterThan(0);
  });
});
