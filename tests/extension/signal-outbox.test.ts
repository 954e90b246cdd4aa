import { describe, expect, it } from 'vitest';
import { OUTBOX_LIMIT, SignalOutbox } from '../../extension/lib/signal-outbox';

const candidate = (n: number) => ({ candidate: { candidate: `candidate:${n}`, sdpMid: '0' } });

describe('signal outbox', () => {
  it('gives back one call’s signals in order and drops other calls’', () => {
    const box = new SignalOutbox();
    box.push('old', candidate(0));
    box.push('m', candidate(1));
    box.push('m', candidate(2));
    expect(box.take('m').map((s) => s.data)).toEqual([candidate(1), candidate(2)]);
    expect(box.size).toBe(0);
  });

  it('holds refused signals in their place until released (partner:back)', () => {
    const box = new SignalOutbox();
    box.push('m', candidate(1));
    box.push('m', candidate(2));
    const [first, second] = box.take('m');
    box.push('m', candidate(3));
    box.putBack(second);
    box.putBack(first);
    expect(box.take('m')).toEqual([]);
    box.release();
    expect(box.take('m').map((s) => s.data)).toEqual([candidate(1), candidate(2), candidate(3)]);
  });

  it('is bounded', () => {
    const box = new SignalOutbox();
    for (let i = 0; i < OUTBOX_LIMIT + 10; i++) box.push('m', candidate(i));
    const out = box.take('m');
    expect(out).toHaveLength(OUTBOX_LIMIT);
    expect(out[0].data).toEqual(candidate(10));
  });
});
