/**
 * The background's call logic as one state machine: `transition(state, event)`
 * is pure and returns the next state and the effects to run (call-controller.ts
 * runs them). An event that makes no sense in the current state is refused
 * with a reason: `illegal` ones (a bug or a race worth seeing) are logged by
 * the runner, `stale` ones (about a call or an attempt that is over) are not.
 *
 * Two things are tracked separately: the call's phase (view.phase) and the
 * signaling link's state (view.link). The call goes on while the link is down;
 * when it comes back, the call is resumed with the server's token.
 */
import type { Ack, AckBodies, BannedInfo, EndReason, ErrorBody, MatchFound, ReportPayload, ResumeAck, Stats } from '../../shared/protocol';
import { LIMITS } from '../../shared/limits';
import { ALL_ON, INITIAL_STATE, inCall, type CallState, type ChatLine, type MediaSwitches, type RtcPhase } from './call-state';
import type { CallTarget, LiveCall, MediaResult } from './messages';

/** What the server needs to take the call back after a drop, and how the call was set up. */
export interface CallSession extends CallTarget {
  resumeToken: string;
}

export interface MachineState {
  /** What views see. */
  view: CallState;
  /** The current call's proof and set-up; never shown to views. */
  session?: CallSession;
  /** The camera for the current start: only once it is open may we join the queue. */
  media: 'off' | 'opening' | 'ready';
  /** A queue:join is in flight: never send two. */
  joining: boolean;
  /** Bumped by every Start and Stop: answers to an older attempt are stale. */
  gen: number;
}

export const INITIAL_MACHINE: MachineState = { view: INITIAL_STATE, media: 'off', joining: false, gen: 0 };

type QueueAck = Ack<AckBodies['queue:join']>;
type ReportAck = Ack<AckBodies['report']>;
/** Why an emit got no answer. */
export type NoAnswer = 'offline' | 'timeout';

export type MachineEvent =
  // the person
  | { type: 'start'; rulesAccepted: boolean }
  | { type: 'next'; rulesAccepted: boolean }
  | { type: 'stop' }
  | { type: 'retry' }
  | { type: 'report'; reason: ReportPayload['reason']; details?: string }
  | { type: 'report-dismissed' }
  | { type: 'local-media'; media: MediaSwitches }
  | { type: 'permission-granted' }
  // the offscreen document
  | { type: 'media-opened'; gen: number; result: MediaResult }
  | { type: 'call-failed'; matchId: string }
  | { type: 'rtc'; matchId: string; phase: RtcPhase; remoteVideo: boolean }
  | { type: 'chat'; matchId: string; line: ChatLine }
  | { type: 'chat-delivered'; matchId: string; id: string }
  | { type: 'stranger-typing'; matchId: string; at: number }
  | { type: 'remote-media'; matchId: string; media: MediaSwitches }
  // the signaling link
  | { type: 'link-up' }
  | { type: 'link-down' }
  | { type: 'banned'; ban: BannedInfo }
  | { type: 'server-closing'; reconnectAfterMs: number }
  // answers to what we sent (`matchId`: the call it was about; `ack` undefined: no answer)
  | { type: 'queue-acked'; gen: number; event: 'queue:join' | 'queue:next'; matchId?: string; ack?: QueueAck; noAnswer?: NoAnswer }
  | { type: 'report-acked'; gen: number; matchId: string; ack?: ReportAck; noAnswer?: NoAnswer }
  | { type: 'resume-acked'; matchId: string; ack?: Ack<ResumeAck>; noAnswer?: NoAnswer }
  // the server
  | { type: 'match-found'; match: MatchFound; at: number }
  | { type: 'match-ended'; matchId: string; reason: EndReason }
  | { type: 'partner-away'; matchId: string }
  | { type: 'partner-back'; matchId: string }
  | { type: 'stats'; stats: Stats }
  // a (re)started worker: what storage.session and the offscreen document still know
  | { type: 'restored'; saved?: MachineState; live?: LiveCall | null };

export type Effect =
  | { type: 'open-link' }
  /** Drop the socket (after queue:leave when `leave`); its listeners go with it. */
  | { type: 'close-link'; leave: boolean }
  /** The server asked us to come back after a delay (it is shutting down). */
  | { type: 'reconnect-after'; ms: number }
  | { type: 'emit-queue'; event: 'queue:join' | 'queue:next'; matchId?: string }
  | { type: 'emit-report'; payload: ReportPayload }
  | { type: 'emit-resume'; matchId: string; token: string }
  | { type: 'acquire-media' }
  | { type: 'release-media' }
  | { type: 'set-media'; media: MediaSwitches }
  | { type: 'open-permission-tab' }
  /** Set the call up in the offscreen document (which keeps it, and its token, across worker restarts). */
  | { type: 'call'; session: CallSession; commonInterests: string[]; matchedAt: number }
  | { type: 'keep-token'; matchId: string; token: string }
  | { type: 'hang-up' }
  /** Signaling to the stranger may flow again: send what was queued. */
  | { type: 'flush-signals' };

export type Outcome = { state: MachineState; effects: Effect[] } | { ignored: 'illegal' | 'stale'; why: string };

/** How many chat lines a view can scroll back through. */
export const CHAT_HISTORY = 200;

/** Fields that belong to one stranger and go when they do. */
const noCall = {
  matchId: undefined,
  matchedAt: undefined,
  rtc: undefined,
  remoteVideo: false,
  commonInterests: [],
  chat: [],
  strangerTypingAt: undefined,
  remoteMedia: ALL_ON,
  reported: undefined,
  report: undefined,
} satisfies Partial<CallState>;

const ok = (state: MachineState, ...effects: Effect[]): Outcome => ({ state, effects });
const illegal = (why: string): Outcome => ({ ignored: 'illegal', why });
const stale = (why: string): Outcome => ({ ignored: 'stale', why });
const view = (s: MachineState, patch: Partial<CallState>): MachineState => ({ ...s, view: { ...s.view, ...patch } });

/** Signals to the stranger can go out now (the server holds them while the stranger is away). */
export function canSignal(s: MachineState): boolean {
  return s.view.link === 'connected' && inCall(s.view.phase);
}

/** Start: the rules first, then the camera and the server at the same time. */
function start(s: MachineState, rulesAccepted: boolean): Outcome {
  if (!rulesAccepted) return ok(view({ ...s, session: undefined }, { ...noCall, phase: 'rules', problem: undefined }));
  const linkDown = s.view.link === 'offline';
  const next: MachineState = {
    ...s,
    session: undefined,
    media: 'opening',
    joining: false,
    gen: s.gen + 1,
    view: { ...s.view, ...noCall, phase: 'starting', problem: undefined, endedReason: undefined, link: linkDown ? 'connecting' : s.view.link },
  };
  return ok(next, ...(linkDown ? [{ type: 'open-link' } as const] : []), { type: 'acquire-media' });
}

/** Once the camera is open and the server there, join the queue (once). */
function joinIfReady(s: MachineState): Outcome {
  if (s.media !== 'ready' || s.view.link !== 'connected' || s.joining) return ok(s);
  return ok({ ...s, joining: true }, { type: 'emit-queue', event: 'queue:join' });
}

/** The server refused something: too fast keeps everything as it is; anything else is said and stops. */
function refused(s: MachineState, error: ErrorBody): Outcome {
  if (error.code === 'rate_limited') return ok(view(s, { problem: { kind: 'rate_limited', retryAfterMs: error.retryAfterMs ?? 1000 } }));
  return ok(
    { ...s, session: undefined, media: 'off', joining: false, gen: s.gen + 1, view: { ...s.view, ...noCall, phase: 'idle', link: 'offline', problem: { kind: 'server_error', message: error.message } } },
    { type: 'close-link', leave: true },
    { type: 'release-media' },
  );
}

/** The call is over on our side (the stranger left, the server forgot it): say so, keep the socket. */
function callOver(s: MachineState, reason: EndReason): MachineState {
  return { ...s, session: undefined, view: { ...s.view, ...noCall, phase: 'partner-left', endedReason: reason } };
}

/** Does this event concern the call on screen? */
const current = (s: MachineState, matchId: string) => inCall(s.view.phase) && s.view.matchId === matchId;

export function transition(s: MachineState, e: MachineEvent): Outcome {
  const { phase, link } = s.view;
  switch (e.type) {
    case 'start':
      if (!['idle', 'rules', 'permission', 'partner-left'].includes(phase)) return stale(`already ${phase}`);
      return start(s, e.rulesAccepted);

    case 'permission-granted':
      return phase === 'permission' ? start(s, true) : stale(`permission granted while ${phase}`);

    case 'next':
      // Nothing to skip yet: Next starts, like Start.
      if (phase === 'idle' || phase === 'permission' || phase === 'rules') return start(s, e.rulesAccepted);
      if (phase === 'starting' || phase === 'waiting') return stale(`next while ${phase}`);
      if (link !== 'connected') {
        // The server cannot hear us: drop this call here and search again once it answers. The
        // session stays, so the resume once back turns into queue:next, which tells the stranger.
        const fresh = start(s, true) as { state: MachineState; effects: Effect[] };
        return ok({ ...fresh.state, session: s.session }, ...(s.view.matchId ? [{ type: 'hang-up' } as const] : []), ...fresh.effects);
      }
      if (phase === 'partner-left') return ok(view(s, { ...noCall, phase: 'waiting', endedReason: undefined, problem: undefined }), { type: 'emit-queue', event: 'queue:next' });
      // In a call: it goes on until the server confirms (a refusal for going too fast keeps it).
      return ok(s, { type: 'emit-queue', event: 'queue:next', matchId: s.view.matchId });

    case 'stop':
      if (phase === 'idle' && link === 'offline') return stale('already stopped');
      return ok({ ...INITIAL_MACHINE, gen: s.gen + 1 }, { type: 'close-link', leave: link !== 'offline' }, { type: 'release-media' });

    case 'retry':
      // "Try again" while the server is unreachable: a fresh socket now, not at the end of the backoff.
      if (link !== 'reconnecting') return stale(`retry while ${link}`);
      return ok(view({ ...s, joining: false }, { link: 'connecting' }), { type: 'close-link', leave: false }, { type: 'open-link' });

    case 'report': {
      if (!inCall(phase) || !s.view.matchId) return illegal(`report while ${phase}`);
      if (s.view.report?.status === 'sending') return stale('report already sending');
      if (link !== 'connected') return ok(view(s, { report: { status: 'failed', reason: 'offline' } }));
      const details = e.details?.trim();
      const payload: ReportPayload = details ? { matchId: s.view.matchId, reason: e.reason, details } : { matchId: s.view.matchId, reason: e.reason };
      return ok(view(s, { report: { status: 'sending' } }), { type: 'emit-report', payload });
    }

    case 'report-dismissed':
      return s.view.report?.status === 'failed' ? ok(view(s, { report: undefined })) : stale('no failed report');

    case 'local-media':
      return ok(view(s, { localMedia: e.media }), ...(phase === 'idle' ? [] : [{ type: 'set-media', media: e.media } as const]));

    case 'media-opened': {
      if (e.gen !== s.gen || phase !== 'starting' || s.media !== 'opening') return stale('camera opened for an older start');
      if (e.result.ok) return joinIfReady({ ...s, media: 'ready' });
      const closed: MachineState = { ...s, media: 'off', joining: false, view: { ...s.view, link: 'offline' } };
      if (e.result.failure === 'denied') {
        return ok(view(closed, { phase: 'permission', problem: undefined }), { type: 'close-link', leave: false }, { type: 'open-permission-tab' });
      }
      return ok(view(closed, { phase: 'idle', problem: { kind: 'media', failure: e.result.failure } }), { type: 'close-link', leave: false });
    }

    case 'call-failed':
      // The offscreen document could not set the call up (no camera stream): say so and leave the match.
      if (!current(s, e.matchId)) return stale('call-failed for another call');
      return ok(
        { ...s, session: undefined, media: 'off', joining: false, gen: s.gen + 1, view: { ...s.view, ...noCall, phase: 'idle', link: 'offline', problem: { kind: 'media', failure: 'other' } } },
        { type: 'close-link', leave: true },
        { type: 'release-media' },
      );

    case 'rtc':
      return current(s, e.matchId) ? ok(view(s, { rtc: e.phase, remoteVideo: e.remoteVideo })) : stale('rtc of another call');
    case 'chat':
      if (!current(s, e.matchId)) return stale('chat of another call');
      // A line the restored call already had (it arrived while the worker was restarting).
      if (s.view.chat.some((line) => line.id === e.line.id && line.from === e.line.from)) return stale('chat line already shown');
      return ok(
        view(s, {
          chat: [...s.view.chat, { ...e.line, text: e.line.text.slice(0, LIMITS.chatMessage) }].slice(-CHAT_HISTORY),
          // A message ends the typing indicator.
          strangerTypingAt: e.line.from === 'stranger' ? undefined : s.view.strangerTypingAt,
        }),
      );
    case 'chat-delivered':
      if (!current(s, e.matchId)) return stale('receipt of another call');
      return ok(view(s, { chat: s.view.chat.map((line) => (line.id === e.id && line.from === 'me' ? { ...line, delivered: true } : line)) }));
    case 'stranger-typing':
      return current(s, e.matchId) ? ok(view(s, { strangerTypingAt: e.at })) : stale('typing of another call');
    case 'remote-media':
      return current(s, e.matchId) ? ok(view(s, { remoteMedia: e.media })) : stale('media of another call');

    case 'link-up': {
      if (link === 'offline') return illegal('link-up with no link');
      if (s.session) {
        // Back on signaling mid-call (or leaving one): take the call back before anything else goes out.
        return ok(view(s, { link: 'resuming' }), { type: 'emit-resume', matchId: s.session.matchId, token: s.session.resumeToken });
      }
      const up = view(s, { link: 'connected' });
      // The server forgets a search when the connection drops: search again.
      if (phase === 'waiting') return ok({ ...up, joining: true }, { type: 'emit-queue', event: 'queue:join' });
      return phase === 'starting' ? joinIfReady(up) : ok(up);
    }

    case 'link-down':
      if (link === 'offline') return stale('link-down with no link');
      return ok(view({ ...s, joining: false }, { link: 'reconnecting' }));

    case 'server-closing':
      if (link === 'offline') return stale('server-closing with no link');
      return ok(view({ ...s, joining: false }, { link: 'reconnecting' }), { type: 'reconnect-after', ms: e.reconnectAfterMs });

    case 'banned':
      return ok(
        { ...INITIAL_MACHINE, gen: s.gen + 1, view: { ...INITIAL_STATE, localMedia: s.view.localMedia, problem: { kind: 'banned', ...e.ban } } },
        { type: 'close-link', leave: false },
        { type: 'release-media' },
      );

    case 'queue-acked': {
      if (e.gen !== s.gen) return stale(`${e.event} ack of an older start`);
      const s1 = { ...s, joining: false };
      if (!e.ack) return ok(s1); // offline or timed out: the next link-up joins again
      if (!e.ack.ok) {
        if (e.event === 'queue:next' && phase === 'waiting' && e.matchId === undefined) return refused(view(s1, { phase: 'partner-left' }), e.ack.error);
        return refused(s1, e.ack.error);
      }
      const stats = e.ack.stats;
      if (e.event === 'queue:join') {
        if (phase === 'starting' || phase === 'waiting') return ok(view(s1, { phase: 'waiting', stats, problem: undefined }));
        return stale('join ack after a match'); // match:found came first
      }
      // queue:next confirmed: leave the call we skipped, unless the next one already began.
      if (s.view.matchId !== e.matchId) return stale('next ack after the next match');
      return ok(
        { ...s1, session: undefined, view: { ...s.view, ...noCall, phase: 'waiting', stats, problem: undefined, endedReason: undefined } },
        ...(e.matchId ? [{ type: 'hang-up' } as const] : []),
      );
    }

    case 'report-acked': {
      if (e.gen !== s.gen || s.view.report?.status !== 'sending') return stale('report ack with no report');
      if (!e.ack) return ok(view(s, { report: { status: 'failed', reason: e.noAnswer ?? 'timeout' } }));
      if (!e.ack.ok) return ok(view(s, { report: { status: 'failed', reason: 'refused', message: e.ack.error.message } }));
      if (s.view.matchId !== e.matchId) return ok(view(s, { report: undefined }));
      // Reported: the call ends for both, and the search goes on.
      return ok(
        { ...s, session: undefined, view: { ...s.view, ...noCall, phase: 'waiting', reported: true, stats: e.ack.stats, problem: undefined, endedReason: undefined } },
        { type: 'hang-up' },
      );
    }

    case 'resume-acked': {
      if (link !== 'resuming') return stale('resume ack while not resuming');
      if (s.session && s.session.matchId !== e.matchId) return stale('resume ack for an earlier call');
      if (s.session && !e.ack && inCall(phase)) {
        // No answer on a live socket: ask again (a dead one reports link-down instead).
        return e.noAnswer === 'offline' ? ok(s) : ok(s, { type: 'emit-resume', matchId: e.matchId, token: s.session.resumeToken });
      }
      if (!s.session || !inCall(phase)) {
        // The call ended meanwhile (match:ended came first), or the person left it while we were
        // away (Next): the link is ours again. A call the server still had is left with queue:next.
        const up: MachineState = { ...s, session: undefined, view: { ...s.view, link: 'connected' } };
        if (s.session && e.ack?.ok && e.ack.state === 'matched') return ok({ ...up, joining: true }, { type: 'emit-queue', event: 'queue:next' });
        return phase === 'waiting' ? ok({ ...up, joining: true }, { type: 'emit-queue', event: 'queue:join' }) : joinIfReady(up);
      }
      if (!e.ack) return stale('unreachable');
      if (!e.ack.ok || e.ack.state === 'idle' || e.ack.matchId !== e.matchId) {
        // The server no longer has this call (it ended, the grace ran out, the token is refused).
        return ok(view(callOver(s, 'disconnected'), { link: 'connected' }), { type: 'hang-up' });
      }
      const ack = e.ack;
      const session: CallSession = { ...s.session, resumeToken: ack.resumeToken, iceServers: ack.iceServers, iceTransportPolicy: ack.iceTransportPolicy };
      return ok(
        { ...s, session, view: { ...s.view, link: 'connected', phase: ack.partner === 'away' ? 'partner-away' : 'matched' } },
        { type: 'keep-token', matchId: e.matchId, token: ack.resumeToken },
        { type: 'flush-signals' },
      );
    }

    case 'match-found': {
      // Only someone searching (or in a call that Next/Report is leaving) can be matched.
      if (!['starting', 'waiting', 'matched', 'partner-away'].includes(phase)) return illegal(`match:found while ${phase}`);
      const { match } = e;
      const session: CallSession = {
        matchId: match.matchId,
        polite: match.polite,
        role: match.role,
        iceServers: match.iceServers,
        iceTransportPolicy: match.iceTransportPolicy,
        resumeToken: match.resumeToken,
      };
      const next: MachineState = {
        ...s,
        session,
        joining: false,
        view: {
          ...s.view,
          ...noCall,
          phase: 'matched',
          matchId: match.matchId,
          matchedAt: e.at,
          commonInterests: match.commonInterests,
          rtc: 'connecting',
          problem: undefined,
          endedReason: undefined,
        },
      };
      return ok(next, { type: 'call', session, commonInterests: match.commonInterests, matchedAt: e.at });
    }

    case 'match-ended':
      if (!current(s, e.matchId)) return stale('match:ended of another call');
      return ok(callOver(s, e.reason), { type: 'hang-up' });

    case 'partner-away':
      if (!current(s, e.matchId)) return stale('partner:away of another call');
      return ok(view(s, { phase: 'partner-away' }));

    case 'partner-back':
      if (!current(s, e.matchId)) return stale('partner:back of another call');
      return ok(view(s, { phase: 'matched' }), { type: 'flush-signals' });

    case 'stats':
      return phase === 'waiting' ? ok(view(s, { stats: e.stats })) : stale('stats while not waiting');

    case 'restored': {
      // No socket survives a worker: whatever we were doing, the link starts over.
      const saved = e.saved ?? INITIAL_MACHINE;
      const base: MachineState = { ...saved, media: 'off', joining: false, gen: saved.gen + 1, view: { ...saved.view, link: 'offline' } };
      if (e.live) {
        // The offscreen document still holds a call: show it again and take it back on the server.
        const { live } = e;
        return ok(
          {
            ...base,
            media: 'ready',
            session: { ...live.target, resumeToken: live.resumeToken },
            view: {
              ...base.view,
              ...noCall,
              phase: saved.view.matchId === live.target.matchId && saved.view.phase === 'partner-away' ? 'partner-away' : 'matched',
              link: 'connecting',
              matchId: live.target.matchId,
              matchedAt: live.matchedAt,
              commonInterests: live.commonInterests,
              chat: live.chat.slice(-CHAT_HISTORY),
              localMedia: live.localMedia,
              remoteMedia: live.remoteMedia,
              rtc: live.rtc,
              remoteVideo: live.remoteVideo,
              problem: undefined,
            },
          },
          { type: 'open-link' },
        );
      }
      // Searching, or a call that did not survive (its peer connection is gone): search again.
      if (['starting', 'waiting'].includes(saved.view.phase) || inCall(saved.view.phase)) {
        return start({ ...base, session: undefined }, true);
      }
      return ok({ ...base, session: undefined });
    }
  }
}
