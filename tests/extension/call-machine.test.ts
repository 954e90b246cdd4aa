/** The background's call state machine: every transition, the illegal ones, and the races it must survive. */
import { describe, expect, it } from 'vitest';
import { INITIAL_MACHINE, transition, type Effect, type MachineEvent, type MachineState } from '../../extension/lib/call-machine';
import type { LiveCall } from '../../extension/lib/messages';
import { LIMITS } from '../../shared/limits';
import type { MatchFound } from '../../shared/protocol';

/** Applies events in turn (ignored ones leave the state as it was) and collects the effects. */
function run(events: MachineEvent[], from: MachineState = INITIAL_MACHINE) {
  let state = from;
  const effects: Effect[] = [];
  for (const event of events) {
    const outcome = transition(state, event);
    if ('ignored' in outcome) continue;
    state = outcome.state;
    effects.push(...outcome.effects);
  }
  return { state, effects };
}
const types = (effects: Effect[]) => effects.map((e) => e.type);

const match = (matchId: string, extra: Partial<MatchFound> = {}): MachineEvent => ({
  type: 'match-found',
  at: 1000,
  match: { matchId, role: 'offerer', polite: false, iceServers: [], iceTransportPolicy: 'all', commonInterests: [], resumeToken: `token-${matchId}`, ...extra },
});
const stats = { online: 3, waiting: 1 };
const joinAck = (gen: number): MachineEvent => ({ type: 'queue-acked', gen, event: 'queue:join', ack: { ok: true, state: 'waiting', stats } });

/** Start pressed with the rules accepted, camera opened, server reached, queued. */
function waiting() {
  const started = run([{ type: 'start', rulesAccepted: true }]);
  return run([{ type: 'media-opened', gen: started.state.gen, result: { ok: true } }, { type: 'link-up' }, joinAck(started.state.gen)], started.state);
}
const inCall = (matchId = 'm1') => run([match(matchId)], waiting().state);

describe('call machine: starting a search', () => {
  it('asks for the rules first, then opens the camera and the server together, and joins once both are there', () => {
    const rules = run([{ type: 'start', rulesAccepted: false }]);
    expect(rules.state.view.phase).toBe('rules');
    expect(rules.effects).toEqual([]);

    const started = run([{ type: 'start', rulesAccepted: true }], rules.state);
    expect(started.state.view).toMatchObject({ phase: 'starting', link: 'connecting' });
    expect(types(started.effects)).toEqual(['open-link', 'acquire-media']);

    // Server first: nothing is sent before the camera is open.
    const up = run([{ type: 'link-up' }], started.state);
    expect(up.effects).toEqual([]);
    const ready = run([{ type: 'media-opened', gen: started.state.gen, result: { ok: true } }], up.state);
    expect(ready.effects).toEqual([{ type: 'emit-queue', event: 'queue:join' }]);
    // A drop while that join is in flight: the server forgot it, so it is sent again once back.
    expect(run([{ type: 'link-down' }, { type: 'link-up' }], ready.state).effects).toEqual([{ type: 'emit-queue', event: 'queue:join' }]);
    expect(run([joinAck(started.state.gen)], ready.state).state.view).toMatchObject({ phase: 'waiting', stats });
  });

  it('sends a denied camera to the permission tab, and any other camera failure to a clear problem', () => {
    const started = run([{ type: 'start', rulesAccepted: true }]);
    const denied = run([{ type: 'media-opened', gen: started.state.gen, result: { ok: false, failure: 'denied' } }], started.state);
    expect(denied.state.view.phase).toBe('permission');
    expect(types(denied.effects)).toEqual(['close-link', 'open-permission-tab']);
    expect(run([{ type: 'permission-granted' }], denied.state).state.view.phase).toBe('starting');

    const busy = run([{ type: 'media-opened', gen: started.state.gen, result: { ok: false, failure: 'in_use' } }], started.state);
    expect(busy.state.view).toMatchObject({ phase: 'idle', link: 'offline', problem: { kind: 'media', failure: 'in_use' } });
  });

  it('ignores a camera answer meant for an earlier start', () => {
    const first = run([{ type: 'start', rulesAccepted: true }]).state;
    const again = run([{ type: 'stop' }, { type: 'start', rulesAccepted: true }], first).state;
    expect(transition(again, { type: 'media-opened', gen: first.gen, result: { ok: true } })).toMatchObject({ ignored: 'stale' });
  });

  it('searches again when the link comes back while waiting (the server forgot the search)', () => {
    const down = run([{ type: 'link-down' }], waiting().state);
    expect(down.state.view).toMatchObject({ phase: 'waiting', link: 'reconnecting' });
    expect(run([{ type: 'link-up' }], down.state).effects).toEqual([{ type: 'emit-queue', event: 'queue:join' }]);
  });
});

describe('call machine: a call', () => {
  it('sets the call up in the offscreen document with the resume token, and keeps the token out of the view', () => {
    const { state, effects } = inCall('m1');
    expect(state.view).toMatchObject({ phase: 'matched', matchId: 'm1', rtc: 'connecting', matchedAt: 1000 });
    expect(state.session?.resumeToken).toBe('token-m1');
    expect(JSON.stringify(state.view)).not.toContain('token-m1');
    expect(effects.at(-1)).toMatchObject({ type: 'call', session: { matchId: 'm1', resumeToken: 'token-m1' } });
  });

  it('keeps chat per stranger, bounded, and drops a line it already shows', () => {
    let { state } = inCall('m1');
    const line = { id: 'a', from: 'stranger' as const, text: 'x'.repeat(600), at: 1 };
    state = run([{ type: 'chat', matchId: 'm1', line }, { type: 'chat', matchId: 'm1', line }], state).state;
    expect(state.view.chat).toHaveLength(1);
    expect(state.view.chat[0].text).toHaveLength(LIMITS.chatMessage);
    for (let i = 0; i < 250; i++) state = run([{ type: 'chat', matchId: 'm1', line: { ...line, id: String(i) } }], state).state;
    expect(state.view.chat).toHaveLength(200);
    expect(run([match('m2')], state).state.view.chat).toEqual([]);
  });

  it('ignores events about a call that is no longer the current one', () => {
    const { state } = inCall('m2');
    for (const event of [
      { type: 'match-ended', matchId: 'm1', reason: 'next' },
      { type: 'rtc', matchId: 'm1', phase: 'connected', remoteVideo: true },
      { type: 'partner-away', matchId: 'm1' },
      { type: 'chat', matchId: 'm1', line: { id: 'b', from: 'stranger', text: 'late', at: 1 } },
    ] as MachineEvent[]) {
      expect(transition(state, event)).toMatchObject({ ignored: 'stale' });
    }
  });

  it('Next keeps the call until the server confirms; a refusal for going too fast keeps it too', () => {
    const { state } = inCall('m1');
    const next = run([{ type: 'next', rulesAccepted: true }], state);
    expect(next.state.view.phase).toBe('matched');
    expect(next.effects).toEqual([{ type: 'emit-queue', event: 'queue:next', matchId: 'm1' }]);
    const tooFast = run([{ type: 'queue-acked', gen: state.gen, event: 'queue:next', matchId: 'm1', ack: { ok: false, error: { code: 'rate_limited', message: 'slow', retryAfterMs: 3000 } } }], next.state);
    expect(tooFast.state.view).toMatchObject({ phase: 'matched', matchId: 'm1', problem: { kind: 'rate_limited' } });
    const done = run([{ type: 'queue-acked', gen: state.gen, event: 'queue:next', matchId: 'm1', ack: { ok: true, state: 'waiting', stats } }], next.state);
    expect(done.state.view).toMatchObject({ phase: 'waiting', matchId: undefined });
    expect(types(done.effects)).toEqual(['hang-up']);
  });

  it('Next whose new match arrives before its ack stays in the new call', () => {
    const { state } = inCall('m1');
    const nextMatch = run([{ type: 'next', rulesAccepted: true }, match('m2'), { type: 'queue-acked', gen: state.gen, event: 'queue:next', matchId: 'm1', ack: { ok: true, state: 'matched', stats } }], state);
    expect(nextMatch.state.view).toMatchObject({ phase: 'matched', matchId: 'm2' });
  });

  it('the stranger leaving ends the call on our side, and a mute is kept across strangers until Stop', () => {
    const muted = run([{ type: 'local-media', media: { camera: true, mic: false } }], inCall('m1').state);
    expect(muted.effects).toEqual([{ type: 'set-media', media: { camera: true, mic: false } }]);
    const left = run([{ type: 'match-ended', matchId: 'm1', reason: 'left' }], muted.state);
    expect(left.state.view).toMatchObject({ phase: 'partner-left', endedReason: 'left', chat: [], localMedia: { mic: false } });
    expect(left.state.session).toBeUndefined();
    expect(types(left.effects)).toEqual(['hang-up']);
    expect(run([{ type: 'stop' }], left.state).state.view.localMedia).toEqual({ camera: true, mic: true });
  });
});

describe('call machine: the signaling link drops and comes back', () => {
  it('keeps the call while the link is down, resumes it with the token, then lets signals flow', () => {
    const { state } = inCall('m1');
    const down = run([{ type: 'link-down' }], state);
    expect(down.state.view).toMatchObject({ phase: 'matched', matchId: 'm1', link: 'reconnecting' });
    expect(down.effects).toEqual([]);

    const up = run([{ type: 'link-up' }], down.state);
    expect(up.state.view.link).toBe('resuming');
    expect(up.effects).toEqual([{ type: 'emit-resume', matchId: 'm1', token: 'token-m1' }]);

    const resumed = run(
      [{ type: 'resume-acked', matchId: 'm1', ack: { ok: true, state: 'matched', matchId: 'm1', partner: 'present', resumeToken: 'fresh', role: 'offerer', polite: false, iceServers: [], iceTransportPolicy: 'all', commonInterests: [] } }],
      up.state,
    );
    expect(resumed.state.view).toMatchObject({ phase: 'matched', link: 'connected' });
    expect(resumed.state.session?.resumeToken).toBe('fresh');
    expect(resumed.effects).toEqual([{ type: 'keep-token', matchId: 'm1', token: 'fresh' }, { type: 'flush-signals' }]);
  });

  it('resumes into "partner away" when the stranger has not come back yet', () => {
    const up = run([{ type: 'link-down' }, { type: 'link-up' }], inCall('m1').state).state;
    const resumed = run([{ type: 'resume-acked', matchId: 'm1', ack: { ok: true, state: 'matched', matchId: 'm1', partner: 'away', resumeToken: 't2', role: 'offerer', polite: false, iceServers: [], iceTransportPolicy: 'all', commonInterests: [] } }], up);
    expect(resumed.state.view.phase).toBe('partner-away');
  });

  it('a resume that finds the call over (ended meanwhile, or a refused token) says the call ended, never stays stuck', () => {
    const up = run([{ type: 'link-down' }, { type: 'link-up' }], inCall('m1').state).state;
    const ended = run([{ type: 'match-ended', matchId: 'm1', reason: 'disconnected' }, { type: 'resume-acked', matchId: 'm1', ack: { ok: true, state: 'idle' } }], up);
    expect(ended.state.view).toMatchObject({ phase: 'partner-left', endedReason: 'disconnected', link: 'connected' });
    const refused = run([{ type: 'resume-acked', matchId: 'm1', ack: { ok: false, error: { code: 'token_expired', message: 'expired' } } }], up);
    expect(refused.state.view).toMatchObject({ phase: 'partner-left', link: 'connected' });
    expect(types(refused.effects)).toEqual(['hang-up']);
  });

  it('asks again when a resume gets no answer on a live socket', () => {
    const up = run([{ type: 'link-down' }, { type: 'link-up' }], inCall('m1').state).state;
    expect(run([{ type: 'resume-acked', matchId: 'm1', noAnswer: 'timeout' }], up).effects).toEqual([{ type: 'emit-resume', matchId: 'm1', token: 'token-m1' }]);
  });

  it('shows the stranger away and back without ending anything; back flushes held signals', () => {
    const { state } = inCall('m1');
    const away = run([{ type: 'partner-away', matchId: 'm1' }], state);
    expect(away.state.view).toMatchObject({ phase: 'partner-away', matchId: 'm1' });
    const back = run([{ type: 'partner-back', matchId: 'm1' }], away.state);
    expect(back.state.view.phase).toBe('matched');
    expect(back.effects).toEqual([{ type: 'flush-signals' }]);
    // Past the grace the server ends it.
    expect(run([{ type: 'match-ended', matchId: 'm1', reason: 'disconnected' }], away.state).state.view.phase).toBe('partner-left');
  });

  it('a closing server is reconnected to after the delay it asks for, and the call is kept', () => {
    const closing = run([{ type: 'server-closing', reconnectAfterMs: 2000 }], inCall('m1').state);
    expect(closing.state.view).toMatchObject({ phase: 'matched', link: 'reconnecting' });
    expect(closing.effects).toEqual([{ type: 'reconnect-after', ms: 2000 }]);
  });

  it('Next while the server is out of reach drops the call here and turns the resume into queue:next', () => {
    const down = run([{ type: 'link-down' }], inCall('m1').state).state;
    const next = run([{ type: 'next', rulesAccepted: true }], down);
    expect(next.state.view).toMatchObject({ phase: 'starting', link: 'reconnecting', matchId: undefined });
    expect(types(next.effects)).toEqual(['hang-up', 'acquire-media']);
    // Back: the call is taken back on the server only to be left with queue:next (the stranger is told).
    const up = run([{ type: 'link-up' }], next.state);
    expect(up.effects).toEqual([{ type: 'emit-resume', matchId: 'm1', token: 'token-m1' }]);
    const resumed = run(
      [{ type: 'resume-acked', matchId: 'm1', ack: { ok: true, state: 'matched', matchId: 'm1', partner: 'present', resumeToken: 't2', role: 'offerer', polite: false, iceServers: [], iceTransportPolicy: 'all', commonInterests: [] } }],
      up.state,
    );
    expect(resumed.effects).toEqual([{ type: 'emit-queue', event: 'queue:next' }]);
    expect(resumed.state.session).toBeUndefined();
    const queued = run([{ type: 'queue-acked', gen: resumed.state.gen, event: 'queue:next', ack: { ok: true, state: 'waiting', stats } }], resumed.state);
    expect(queued.state.view).toMatchObject({ phase: 'waiting', link: 'connected' });
  });

  it('a ban stops everything and says until when, why, and whether it was appealed', () => {
    const ban = { until: '2030-01-01T00:00:00.000Z', reason: 'spam', permanent: false, appealed: false } as const;
    const banned = run([{ type: 'banned', ban }], inCall('m1').state);
    expect(banned.state.view).toMatchObject({ phase: 'idle', link: 'offline', problem: { kind: 'banned', ...ban } });
    expect(types(banned.effects)).toEqual(['close-link', 'release-media']);
  });
});

describe('call machine: the races', () => {
  it('Stop while a match:found arrives: idle with no call, never "in a call" with no socket', () => {
    const { state } = waiting();
    const stopped = run([{ type: 'stop' }], state);
    expect(stopped.effects).toEqual([{ type: 'close-link', leave: true }, { type: 'release-media' }]);
    const late = transition(stopped.state, match('m1'));
    expect(late).toMatchObject({ ignored: 'illegal' });
    // And the join ack of the stopped search is stale too.
    expect(transition(stopped.state, joinAck(state.gen))).toMatchObject({ ignored: 'stale' });
  });

  it('refuses what makes no sense in the current phase, visibly', () => {
    expect(transition(INITIAL_MACHINE, { type: 'link-up' })).toMatchObject({ ignored: 'illegal' });
    expect(transition(INITIAL_MACHINE, { type: 'report', reason: 'spam' })).toMatchObject({ ignored: 'illegal' });
    expect(transition(run([{ type: 'start', rulesAccepted: false }]).state, match('m1'))).toMatchObject({ ignored: 'illegal' });
  });

  it('a report that finds the link down, times out or is refused stays on screen as a failure', () => {
    const { state } = inCall('m1');
    const offline = run([{ type: 'link-down' }, { type: 'report', reason: 'spam' }], state);
    expect(offline.state.view).toMatchObject({ phase: 'matched', report: { status: 'failed', reason: 'offline' } });
    expect(offline.effects).toEqual([]);

    const sending = run([{ type: 'report', reason: 'spam', details: '  rude  ' }], state);
    expect(sending.state.view.report).toEqual({ status: 'sending' });
    expect(sending.effects).toEqual([{ type: 'emit-report', payload: { matchId: 'm1', reason: 'spam', details: 'rude' } }]);
    const timedOut = run([{ type: 'report-acked', gen: state.gen, matchId: 'm1', noAnswer: 'timeout' }], sending.state);
    expect(timedOut.state.view).toMatchObject({ phase: 'matched', report: { status: 'failed', reason: 'timeout' } });
    const refused = run([{ type: 'report-acked', gen: state.gen, matchId: 'm1', ack: { ok: false, error: { code: 'unavailable', message: 'try later', retryAfterMs: 1000 } } }], sending.state);
    expect(refused.state.view.report).toEqual({ status: 'failed', reason: 'refused', message: 'try later' });
    expect(run([{ type: 'report-dismissed' }], refused.state).state.view.report).toBeUndefined();

    const done = run([{ type: 'report-acked', gen: state.gen, matchId: 'm1', ack: { ok: true, state: 'waiting', stats } }], sending.state);
    expect(done.state.view).toMatchObject({ phase: 'waiting', reported: true, report: undefined });
  });

  it('a call the offscreen document cannot set up (no camera stream) fails visibly and leaves the match', () => {
    const failed = run([{ type: 'call-failed', matchId: 'm1' }], inCall('m1').state);
    expect(failed.state.view).toMatchObject({ phase: 'idle', problem: { kind: 'media', failure: 'other' } });
    expect(types(failed.effects)).toEqual(['close-link', 'release-media']);
  });
});

describe('call machine: a restarted worker', () => {
  const live: LiveCall = {
    target: { matchId: 'm1', role: 'offerer', polite: false, iceServers: [], iceTransportPolicy: 'all' },
    resumeToken: 'live-token',
    commonInterests: ['chess'],
    matchedAt: 5,
    chat: [{ id: 'c1', from: 'stranger', text: 'hi', at: 6 }],
    localMedia: { camera: false, mic: true },
    remoteMedia: { camera: true, mic: false },
    rtc: 'connected',
    remoteVideo: true,
  };

  it('takes back the call the offscreen document still holds: same call, chat and switches, then resumes it', () => {
    const saved = run([{ type: 'link-down' }], inCall('m1').state).state;
    const restored = run([{ type: 'restored', saved, live }]);
    expect(restored.state.view).toMatchObject({
      phase: 'matched',
      link: 'connecting',
      matchId: 'm1',
      chat: live.chat,
      localMedia: live.localMedia,
      remoteMedia: live.remoteMedia,
      remoteVideo: true,
      commonInterests: ['chess'],
    });
    expect(restored.effects).toEqual([{ type: 'open-link' }]);
    expect(run([{ type: 'link-up' }], restored.state).effects).toEqual([{ type: 'emit-resume', matchId: 'm1', token: 'live-token' }]);
  });

  it('adopts the live call even when storage had not caught up with it', () => {
    expect(run([{ type: 'restored', saved: waiting().state, live }]).state.view).toMatchObject({ phase: 'matched', matchId: 'm1' });
  });

  it('searches again when the call did not survive, and stays put when there was nothing going on', () => {
    const lost = run([{ type: 'restored', saved: inCall('m1').state, live: null }]);
    expect(lost.state.view).toMatchObject({ phase: 'starting', matchId: undefined });
    expect(types(lost.effects)).toEqual(['open-link', 'acquire-media']);
    expect(run([{ type: 'restored' }]).state.view).toMatchObject({ phase: 'idle', link: 'offline' });
  });
});
