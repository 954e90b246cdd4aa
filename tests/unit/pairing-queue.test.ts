import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Matchmaker, type Transport } from '../../server/services/matchmaker';
import { PairingQueue } from '../../server/services/pairing-queue';

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
    // a waited longer, so a comes first (the matchmaker makes the first of a pair the offerer).
    expect(q.sweep(1000).map((pair) => pair.map((e) => e.id))).toEqual([['a', 'b']]);
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

describe('Matchmaker roles', () => {
  it('makes the one who waited longer the offerer, also when the sweep pairs them', () => {
    let clock = 0;
    const found: Array<{ to: string; role: string }> = [];
    const transport: Transport = { emit: (to, event, payload) => event === 'match:found' && found.push({ to, role: (payload as { role: string }).role }), disconnect: () => {} };
    const mm = new Matchmaker({ transport, interestWaitMs: 300, iceServers: () => [], now: () => clock });
    mm.connect('early', 'install-early');
    mm.connect('late', 'install-late');
    mm.join('early', ['chess']); // waits for a chess player first
    clock = 100;
    mm.join('late', []); // open to anyone, but early is not open yet
    expect(found).toEqual([]);
    clock = 300;
    mm.tick(); // early's wait ran out: the sweep pairs early with late
    expect(found).toEqual([
      { to: 'early', role: 'offerer' },
      { to: 'late', role: 'answerer' },
    ]);
  });
});

/** Model test: random operation sequences against the matchmaker; invariants hold after each step. */
describe('Matchmaker state machine (model test)', () => {
  type Op =
    | { kind: 'connect'; install: number }
    | { kind: 'join' | 'next' | 'leave' | 'disconnect'; who: number; interests?: string[] }
    | { kind: 'tick'; advance: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('connect' as const), install: fc.nat(6) }),
    fc.record({
      kind: fc.constantFrom('join' as const, 'next' as const, 'leave' as const, 'disconnect' as const),
      who: fc.nat(20),
      interests: fc.option(fc.subarray(['a', 'b', 'c']), { nil: undefined }),
    }),
    fc.record({ kind: fc.constant('tick' as const), advance: fc.nat(500) }),
  );

  it('keeps pairs symmetric, nobody both queued and matched, no dead partner, self never paired', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        let clock = 0;
        const dead = new Set<string>();
        const inbox: Array<{ to: string; event: string; payload: any }> = [];
        const transport: Transport = { emit: (to, event, payload) => inbox.push({ to, event, payload }), disconnect: () => {} };
        const mm = new Matchmaker({ transport, interestWaitMs: 300, iceServers: () => [], now: () => clock });
        const ids: string[] = [];
        let n = 0;
        for (const step of ops) {
          if (step.kind === 'connect') {
            const id = `s${n++}`;
            ids.push(id);
            mm.connect(id, `install-${step.install}`);
          } else if (step.kind === 'tick') {
            clock += step.advance;
            mm.tick();
          } else {
            const id = ids[step.who % Math.max(ids.length, 1)];
            if (!id || dead.has(id)) continue;
            if (step.kind === 'disconnect') {
              mm.disconnect(id);
              dead.add(id);
            } else {
              try {
                if (step.kind === 'join') mm.join(id, step.interests);
                else if (step.kind === 'next') mm.next(id);
                else mm.leave(id);
              } catch (error) {
                expect((error as { code?: string }).code).toBe('in_match');
              }
            }
          }
          const waiting = new Set<string>();
          let matched = 0;
          for (const s of mm.sessions()) {
            expect(dead.has(s.socketId)).toBe(false);
            if (s.state === 'waiting') waiting.add(s.socketId);
            if (s.state === 'matched') {
              matched++;
              const m = s.match!;
              const partner = m.offerer === s ? m.answerer : m.offerer;
              expect(partner).not.toBe(s);
              expect(partner.installId).not.toBe(s.installId);
              expect(partner.state).toBe('matched');
              expect(partner.match).toBe(m);
              expect(dead.has(partner.socketId)).toBe(false);
            } else {
              expect(s.match).toBeUndefined();
            }
          }
          const stats = mm.stats();
          expect(stats.waiting).toBe(waiting.size);
          expect(stats.inCalls).toBe(matched);
          // Nobody dead was ever sent anything after dying.
          for (const message of inbox.splice(0)) expect(dead.has(message.to) && message.event !== 'match:ended').toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
