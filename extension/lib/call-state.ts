/**
 * The call as every view sees it, and the one function that changes it. The
 * background owns the only live copy (persisted to storage.session so a
 * restarted service worker picks it up) and pushes it to views on every change.
 */
import type { BannedInfo, EndReason, Stats } from '../../shared/protocol';
import { LIMITS } from '../../shared/limits';

export type Phase =
  | 'idle' // nothing going on: Start
  | 'rules' // the 18+ rules must be accepted before anything else
  | 'permission' // waiting for camera/microphone access in the permission tab
  | 'connecting' // reaching the server / opening the camera
  | 'waiting' // in the queue
  | 'matched' // in a call
  | 'partner-left'; // the stranger ended it: notice and Next

export type RtcPhase = 'connecting' | 'connected' | 'failed';

/** Why the camera could not be opened. */
export type MediaFailure = 'denied' | 'no_device' | 'in_use' | 'other';

export type Problem =
  | { kind: 'server_unreachable' }
  | ({ kind: 'banned' } & BannedInfo)
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'media'; failure: MediaFailure }
  | { kind: 'server_error'; message: string };

export interface ChatLine {
  id: string;
  from: 'me' | 'stranger';
  text: string;
  at: number;
  /** For my lines: the stranger's side confirmed it arrived. */
  delivered?: boolean;
}

export interface MediaSwitches {
  camera: boolean;
  mic: boolean;
}

export interface CallState {
  phase: Phase;
  matchId?: string;
  commonInterests: string[];
  stats?: Stats;
  rtc?: RtcPhase;
  remoteVideo: boolean;
  endedReason?: EndReason;
  problem?: Problem;
  chat: ChatLine[];
  /** When the current call began (Date.now()), to notice video that never arrives. */
  matchedAt?: number;
  /** When the stranger last typed (Date.now()); the UI shows it for a few seconds. */
  strangerTypingAt?: number;
  /** The stranger's camera and microphone, as they tell us. */
  remoteMedia: MediaSwitches;
  /** Mine: kept across strangers, reset by Stop. */
  localMedia: MediaSwitches;
  /** Set after I reported someone: a word of thanks while the search goes on. */
  reported?: boolean;
}

const ALL_ON: MediaSwitches = { camera: true, mic: true };

export const INITIAL_STATE: CallState = { phase: 'idle', commonInterests: [], remoteVideo: false, chat: [], remoteMedia: ALL_ON, localMedia: ALL_ON };

export type CallEvent =
  | { type: 'start' }
  | { type: 'needs-rules' }
  | { type: 'needs-permission' }
  | { type: 'reported' }
  | { type: 'queued'; stats?: Stats }
  | { type: 'stats'; stats: Stats }
  | { type: 'matched'; matchId: string; commonInterests: string[] }
  | { type: 'rtc'; matchId: string; phase: RtcPhase; remoteVideo: boolean }
  | { type: 'partner-ended'; matchId: string; reason: EndReason }
  | { type: 'chat'; matchId: string; line: ChatLine }
  | { type: 'chat-delivered'; matchId: string; id: string }
  | { type: 'stranger-typing'; matchId: string; at: number }
  | { type: 'remote-media'; matchId: string; media: MediaSwitches }
  | { type: 'local-media'; media: MediaSwitches }
  | { type: 'stopped' }
  | { type: 'problem'; problem: Problem }
  | { type: 'server-reachable' };

/** How many chat lines a view can scroll back through. */
const CHAT_HISTORY = 200;

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
} satisfies Partial<CallState>;

export function reduce(state: CallState, event: CallEvent): CallState {
  switch (event.type) {
    case 'start':
      return { ...state, ...noCall, phase: 'connecting', problem: undefined, endedReason: undefined };
    case 'needs-rules':
      return { ...state, ...noCall, phase: 'rules', problem: undefined };
    case 'reported':
      return { ...state, ...noCall, phase: 'waiting', reported: true, problem: undefined, endedReason: undefined };
    case 'needs-permission':
      return { ...state, phase: 'permission', problem: undefined };
    case 'queued':
      return { ...state, ...noCall, phase: 'waiting', stats: event.stats ?? state.stats, problem: undefined, endedReason: undefined };
    case 'stats':
      return state.phase === 'waiting' ? { ...state, stats: event.stats } : state;
    case 'matched':
      return {
        ...state,
        ...noCall,
        phase: 'matched',
        matchId: event.matchId,
        matchedAt: Date.now(),
        commonInterests: event.commonInterests,
        rtc: 'connecting',
        problem: undefined,
        endedReason: undefined,
      };
    case 'rtc':
      return event.matchId === state.matchId ? { ...state, rtc: event.phase, remoteVideo: event.remoteVideo } : state;
    case 'partner-ended':
      if (event.matchId !== state.matchId) return state;
      return { ...state, ...noCall, phase: 'partner-left', endedReason: event.reason };
    case 'chat':
      if (event.matchId !== state.matchId) return state;
      return {
        ...state,
        chat: [...state.chat, { ...event.line, text: event.line.text.slice(0, LIMITS.chatMessage) }].slice(-CHAT_HISTORY),
        // A message ends the typing indicator.
        strangerTypingAt: event.line.from === 'stranger' ? undefined : state.strangerTypingAt,
      };
    case 'chat-delivered':
      if (event.matchId !== state.matchId) return state;
      return { ...state, chat: state.chat.map((line) => (line.id === event.id && line.from === 'me' ? { ...line, delivered: true } : line)) };
    case 'stranger-typing':
      return event.matchId === state.matchId ? { ...state, strangerTypingAt: event.at } : state;
    case 'remote-media':
      return event.matchId === state.matchId ? { ...state, remoteMedia: event.media } : state;
    case 'local-media':
      return { ...state, localMedia: event.media };
    case 'stopped':
      return { ...INITIAL_STATE };
    case 'problem':
      // Unreachable server: keep trying (socket.io reconnects) and say so. Whoever was searching or
      // talking is searching again once it answers (the server forgot them); other phases stay.
      if (event.problem.kind === 'server_unreachable') {
        if (['connecting', 'waiting', 'matched'].includes(state.phase)) return { ...state, ...noCall, phase: 'connecting', problem: event.problem };
        return { ...state, problem: event.problem };
      }
      // Too fast: the call (if any) goes on, the person is told to wait.
      if (event.problem.kind === 'rate_limited') return { ...state, problem: event.problem };
      return { ...state, ...noCall, phase: 'idle', problem: event.problem };
    case 'server-reachable':
      return state.problem?.kind === 'server_unreachable' ? { ...state, problem: undefined } : state;
  }
}
