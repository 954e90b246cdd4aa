import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iceUfrags, MAX_PENDING, RemoteCandidates } from '../../extension/rtc/remote-candidates';

const sdp = (ufrag: string, sections = 3) =>
  ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1 2']
    .concat(Array.from({ length: sections }, (_, i) => [`m=audio 9 UDP/TLS/RTP/SAVPF 111`, `a=mid:${i}`, `a=ice-ufrag:${ufrag}`, 'a=ice-pwd:x'.padEnd(30, 'x')]).flat())
    .join('\r\n') + '\r\n';
const cand = (n: number, ufrag?: string): RTCIceCandidateInit => ({
  candidate: `candidate:${n} 1 udp 1 10.0.0.${n} ${5000 + n} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
  ...(ufrag && { usernameFragment: ufrag }),
});

/** Records what reaches the connection; refuses like a browser before any remote description. */
function recorder() {
  const added: Array<RTCIceCandidateInit | undefined> = [];
  let described = false;
  const buffer = new RemoteCandidates(async (candidate) => {
    if (!described) throw new Error('The remote description was null');
    added.push(candidate);
  });
  return {
    added,
    receive: (c: RTCIceCandidateInit | null) => buffer.receive(c),
    describe: (s: string) => {
      described = true;
      return buffer.described(s);
    },
  };
}

describe('iceUfrags', () => {
  it('reads every a=ice-ufrag line, with CRLF or LF endings', () => {
    expect(iceUfrags(sdp('abcd'))).toEqual(new Set(['abcd']));
    expect(iceUfrags('v=0\na=ice-ufrag:x1\nm=video 9 x\na=ice-ufrag:y2\n')).toEqual(new Set(['x1', 'y2']));
    expect(iceUfrags('v=0\r\n')).toEqual(new Set());
  });
});

describe('RemoteCandidates', () => {
  it('keeps candidates that arrive before the first description and adds them, in order, once it is applied', async () => {
    const r = recorder();
    await r.receive(cand(1, 'u1'));
    await r.receive(cand(2));
    await r.receive(null);
    expect(r.added).toEqual([]);
    await r.describe(sdp('u1'));
    expect(r.added).toEqual([cand(1, 'u1'), cand(2), undefined]);
  });

  it('adds candidates at once once their description is applied, also after a renegotiation that keeps the fragment', async () => {
    const r = recorder();
    await r.describe(sdp('u1'));
    await r.receive(cand(1, 'u1'));
    await r.describe(sdp('u1')); // renegotiation without ICE restart
    await r.receive(cand(2, 'u1'));
    await r.receive({ candidate: '', sdpMid: '0', usernameFragment: 'u1' });
    expect(r.added).toEqual([cand(1, 'u1'), cand(2, 'u1'), { candidate: '', sdpMid: '0', usernameFragment: 'u1' }]);
  });

  it('after an ICE restart, keeps the new generation\'s candidates for its description and drops the old one\'s', async () => {
    const r = recorder();
    await r.describe(sdp('u1'));
    await r.receive(cand(1, 'u1'));
    // The stranger restarts ICE and trickles before its new offer reaches us.
    await r.receive(cand(2, 'u2'));
    await r.receive(null); // ends u2's candidates, not u1's
    expect(r.added).toEqual([cand(1, 'u1')]);
    await r.describe(sdp('u2'));
    expect(r.added).toEqual([cand(1, 'u1'), cand(2, 'u2'), undefined]);
    // A late candidate of the replaced generation is dropped, not added to the new one.
    await r.receive(cand(3, 'u1'));
    expect(r.added).toHaveLength(3);
  });

  it('a candidate the connection refuses does not hold back the others', async () => {
    const added: string[] = [];
    const buffer = new RemoteCandidates(async (c) => {
      if (c?.candidate?.includes('10.0.0.1 ')) throw new Error('refused');
      added.push(c?.candidate ?? 'end');
    });
    await buffer.receive(cand(1));
    await buffer.receive(cand(2));
    await buffer.described(sdp('u1'));
    expect(added).toEqual([cand(2).candidate]);
  });

  it('keeps at most MAX_PENDING candidates while their description is late (the newest)', async () => {
    const r = recorder();
    for (let i = 0; i < MAX_PENDING + 10; i++) await r.receive(cand(i, 'u1'));
    await r.describe(sdp('u1'));
    expect(r.added).toHaveLength(MAX_PENDING);
    expect(r.added[0]).toEqual(cand(10, 'u1'));
  });

  it('property: whatever the interleaving of each generation\'s description and candidates, every candidate reaches its own generation once', async () => {
    // Each generation g: one description (ufrag ug) and some candidates, sent in any order; generations in order.
    const generation = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.boolean());
    await fc.assert(
      fc.asyncProperty(fc.array(generation, { minLength: 1, maxLength: 5 }), async (gens) => {
        let current: string | undefined;
        const reached: Array<[string, string]> = [];
        const buffer = new RemoteCandidates(async (c) => {
          // Like a browser: needs a description, and a named fragment must be the applied one.
          if (current === undefined) throw new Error('The remote description was null');
          if (c?.usernameFragment && c.usernameFragment !== current) throw new Error('Unknown ufrag');
          reached.push([c?.candidate ?? 'end', current]);
        });
        const expected: Array<[string, string]> = [];
        for (const [g, [count, descAt, end]] of gens.entries()) {
          const ufrag = `u${g}`;
          const steps: Array<() => Promise<void>> = [];
          for (let i = 0; i < count; i++) {
            const c = { candidate: `candidate:${g}-${i} 1 udp 1 10.0.0.1 5000 typ host`, sdpMid: '0', usernameFragment: ufrag };
            steps.push(() => buffer.receive(c));
            expected.push([c.candidate, ufrag]);
          }
          // An end marker names no fragment: it closes the generation of the candidates just before it.
          if (end && count > 0) {
            steps.push(() => buffer.receive(null));
            expected.push(['end', ufrag]);
          }
          steps.splice(Math.min(descAt, steps.length), 0, async () => {
            current = ufrag;
            await buffer.described(sdp(ufrag));
          });
          for (const step of steps) await step();
        }
        expect(reached).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
