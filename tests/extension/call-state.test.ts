import { describe, expect, it } from 'vitest';
import { INITIAL_STATE, reduce, type CallEvent, type CallState } from '../../extension/lib/call-state';
import { LIMITS } from '../../shared/limits';

const run = (events: CallEvent[], from: CallState = INITIAL_STATE) => events.reduce(reduce, from);

describe('call state', () => {
  it('goes idle → connecting → waiting → matched', () => {
    const state = run([
      { type: 'start' },
      { type: 'queued', stats: { online: 3, waiting: 1 } },
      { type: 'matched', matchId: 'm1', commonInterests: ['chess'] },
    ]);
    expect(state).toMatchObject({ phase: 'matched', matchId: 'm1', commonInterests: ['chess'], rtc: 'connecting', remoteVideo: false });
  });

  it('keeps chat per stranger: a new match and a departure both clear it', () => {
    const inCall = run([{ type: 'start' }, { type: 'matched', matchId: 'm1', commonInterests: [] }, { type: 'chat', matchId: 'm1', line: { id: 'a', from: 'me', text: 'hi', at: 1 } }]);
    expect(inCall.chat).toHaveLength(1);
    expect(reduce(inCall, { type: 'matched', matchId: 'm2', commonInterests: [] }).chat).toEqual([]);
    const left = reduce(inCall, { type: 'partner-ended', matchId: 'm1', reason: 'left' });
    expect(left).toMatchObject({ phase: 'partner-left', endedReason: 'left', chat: [], matchId: undefined });
  });

  it('ignores events about a call that is no longer the current one', () => {
    const inCall = run([{ type: 'matched', matchId: 'm2', commonInterests: [] }]);
    expect(reduce(inCall, { type: 'partner-ended', matchId: 'm1', reason: 'next' })).toBe(inCall);
    expect(reduce(inCall, { type: 'chat', matchId: 'm1', line: { id: 'b', from: 'stranger', text: 'late', at: 1 } })).toBe(inCall);
    expect(reduce(inCall, { type: 'rtc', matchId: 'm1', phase: 'connected', remoteVideo: true })).toBe(inCall);
  });

  it('bounds chat lines and history', () => {
    let state = run([{ type: 'matched', matchId: 'm', commonInterests: [] }]);
    for (let i = 0; i < 250; i++) state = reduce(state, { type: 'chat', matchId: 'm', line: { id: String(i), from: 'stranger', text: 'x'.repeat(600), at: i } });
    expect(state.chat).toHaveLength(200);
    expect(state.chat[0].text).toHaveLength(LIMITS.chatMessage);
  });

  it('an unreachable server keeps the search alive with a problem shown; reaching it clears the problem', () => {
    const waiting = run([{ type: 'start' }, { type: 'queued' }]);
    const down = reduce(waiting, { type: 'problem', problem: { kind: 'server_unreachable' } });
    expect(down).toMatchObject({ phase: 'connecting', problem: { kind: 'server_unreachable' } });
    expect(reduce(down, { type: 'server-reachable' }).problem).toBeUndefined();
  });

  it('a camera problem stops the start', () => {
    const state = run([{ type: 'start' }, { type: 'problem', problem: { kind: 'media', failure: 'in_use' } }]);
    expect(state).toMatchObject({ phase: 'idle', problem: { kind: 'media', failure: 'in_use' } });
  });

  it('stats only matter while waiting', () => {
    const matched = run([{ type: 'matched', matchId: 'm', commonInterests: [] }]);
    expect(reduce(matched, { type: 'stats', stats: { online: 1, waiting: 1 } })).toBe(matched);
  });
});

describe('call state: chat receipts, typing, media switches', () => {
  const inCall = run([{ type: 'matched', matchId: 'm', commonInterests: [] }]);

  it('marks my line delivered when the stranger acknowledges it', () => {
    const sent = reduce(inCall, { type: 'chat', matchId: 'm', line: { id: 'x', from: 'me', text: 'hi', at: 1 } });
    expect(sent.chat[0].delivered).toBeUndefined();
    expect(reduce(sent, { type: 'chat-delivered', matchId: 'm', id: 'x' }).chat[0].delivered).toBe(true);
  });

  it('shows the stranger typing until their message arrives', () => {
    const typing = reduce(inCall, { type: 'stranger-typing', matchId: 'm', at: 5 });
    expect(typing.strangerTypingAt).toBe(5);
    expect(reduce(typing, { type: 'chat', matchId: 'm', line: { id: 'y', from: 'stranger', text: 'yo', at: 6 } }).strangerTypingAt).toBeUndefined();
  });

  it('keeps my mute across strangers and resets the stranger\'s camera state per call', () => {
    const muted = reduce(inCall, { type: 'local-media', media: { camera: true, mic: false } });
    const darkStranger = reduce(muted, { type: 'remote-media', matchId: 'm', media: { camera: false, mic: true } });
    const next = reduce(darkStranger, { type: 'matched', matchId: 'n', commonInterests: [] });
    expect(next.localMedia.mic).toBe(false);
    expect(next.remoteMedia.camera).toBe(true);
    expect(reduce(next, { type: 'stopped' }).localMedia).toEqual({ camera: true, mic: true });
  });
});

describe('call state: an unreachable server', () => {
  it('sends people who were talking or searching back to searching, and leaves a notice alone', () => {
    const problem = { type: 'problem', problem: { kind: 'server_unreachable' } } as const;
    expect(reduce(run([{ type: 'matched', matchId: 'm', commonInterests: [] }]), problem).phase).toBe('connecting');
    const left = run([{ type: 'matched', matchId: 'm', commonInterests: [] }, { type: 'partner-ended', matchId: 'm', reason: 'left' }]);
    expect(reduce(left, problem)).toMatchObject({ phase: 'partner-left', problem: { kind: 'server_unreachable' } });
  });

  it('keeps the call when an action is refused for going too fast', () => {
    const inCall = run([{ type: 'matched', matchId: 'm', commonInterests: [] }]);
    expect(reduce(inCall, { type: 'problem', problem: { kind: 'rate_limited', retryAfterMs: 3000 } })).toMatchObject({ phase: 'matched', matchId: 'm' });
  });
});
