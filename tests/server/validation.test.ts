import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_EVENTS } from '../../shared/protocol';
import { LIMITS } from '../../shared/limits';
import { connectClient, nextEvent, pairUp, rawEmit, recordEvents, sleep, startServer, type Client, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ RATE_QUEUE_POINTS: 100_000, RATE_SIGNAL_POINTS: 100_000, RATE_REPORT_POINTS: 100_000 });
});
afterAll(() => server.close());

/** Arbitrary JSON-ish values, biased towards near-misses of the real payloads. */
const junk = fc.oneof(
  fc.anything({ withNullPrototype: false, maxDepth: 3 }),
  fc.record({ matchId: fc.oneof(fc.string(), fc.integer()), data: fc.anything({ maxDepth: 2 }) }),
  fc.record({ interests: fc.oneof(fc.array(fc.string(), { maxLength: 8 }), fc.string(), fc.constant(null)) }),
  fc.record({ matchId: fc.uuid(), data: fc.record({ description: fc.record({ type: fc.string(), sdp: fc.anything() }) }) }),
  fc.record({ matchId: fc.uuid(), data: fc.record({ candidate: fc.record({ candidate: fc.anything(), sdpMLineIndex: fc.anything() }) }) }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}}')),
  fc.constant(JSON.parse('{"interests": [], "__proto__": {"x": 1}}')),
);

describe('malformed payloads', () => {
  it('thousands of generated payloads: error ack, no crash, nothing delivered to anyone', async () => {
    const { offerer, answerer } = await pairUp(server.url);
    const attacker = offerer;
    const victimSeen = recordEvents(answerer);
    const bystander = await connectClient(server.url);
    const bystanderSeen = recordEvents(bystander);
    const events = Object.keys(CLIENT_EVENTS);
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...events), junk, async (event, payload) => {
        // What the server receives is the JSON form (undefined keys vanish, undefined becomes null).
        const onTheWire: unknown = JSON.parse(JSON.stringify([payload]))[0];
        const isValid = CLIENT_EVENTS[event as keyof typeof CLIENT_EVENTS].safeParse(onTheWire).success;
        fc.pre(!isValid);
        const ack = await rawEmit(attacker, event, payload);
        expect(ack.ok).toBe(false);
        expect(ack.error.code).toBe('invalid_payload');
        errors++;
      }),
      { numRuns: 3000 },
    );
    expect(errors).toBeGreaterThan(2000);
    await sleep(100);
    expect(victimSeen).toEqual([]);
    expect(bystanderSeen).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The server still serves: the attacker's call is intact and a signal still goes through.
    expect(server.server.matchmaker.session(attacker.id!)?.state).toBe('matched');
    const health = await fetch(`${server.url}/healthz`).then((r) => r.json());
    expect(health.status).toBe('ok');
    for (const s of [offerer, answerer, bystander]) s.close();
  }, 120_000);

  it('answers unknown events, missing acks and extra arguments with stable codes', async () => {
    const a = await connectClient(server.url);
    expect(await rawEmit(a, 'admin:ban-everyone', {})).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    expect(await rawEmit(a, 'queue:join', {}, 'extra')).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(await rawEmit(a, 'queue:join')).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    const protocolError = nextEvent(a, 'protocol:error');
    (a as unknown as { emit(event: string, payload: unknown): void }).emit('queue:join', {});
    expect(await protocolError).toMatchObject({ event: 'queue:join', error: { code: 'no_ack' } });
    expect(server.server.matchmaker.session(a.id!)?.state).toBe('idle');
    a.close();
  });

  it('rejects oversized strings and interests past the bound', async () => {
    const a = await connectClient(server.url);
    const tooMany = Array.from({ length: LIMITS.interests + 1 }, (_, i) => `t${i}`);
    expect(await rawEmit(a, 'queue:join', { interests: tooMany })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(await rawEmit(a, 'queue:join', { interests: ['x'.repeat(65)] })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    const sdp = 'a'.repeat(LIMITS.sdpLength + 1);
    const ack = await rawEmit(a, 'signal', { matchId: 'm', data: { description: { type: 'offer', sdp } } });
    expect(ack).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    a.close();
  });

  it('drops a connection that sends a message over maxHttpBufferSize, and the server stays up', async () => {
    const a = await connectClient(server.url);
    const closed = new Promise<string>((resolve) => a.once('disconnect', resolve));
    (a as unknown as { emit(event: string, payload: unknown): void }).emit('signal', { blob: 'x'.repeat(LIMITS.maxMessageBytes * 2) });
    expect(await closed).toBe('transport close');
    const b = await connectClient(server.url);
    expect(await b.emitWithAck('queue:leave', {})).toEqual({ ok: true, state: 'idle' });
    b.close();
  });
});

describe('rate limits', () => {
  it('answers rate_limited with retryAfterMs once the queue bucket is spent, without crashing', async () => {
    const s = await startServer({ RATE_QUEUE_POINTS: 5, RATE_QUEUE_WINDOW_S: 60 });
    const a: Client = await connectClient(s.url);
    const acks = [];
    for (let i = 0; i < 8; i++) acks.push(await a.emitWithAck('queue:next', {}));
    expect(acks.slice(0, 5).every((ack) => ack.ok)).toBe(true);
    const limited = acks[6];
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    if (!limited.ok) expect(limited.error.retryAfterMs).toBeGreaterThan(0);
    a.close();
    await s.close();
  });
});
