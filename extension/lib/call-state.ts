/**
 * The call as every view sees it, and the one function that changes it. The
 * background owns the only live copy (persisted to storage.session so a
 * restarted service worker picks it up) and pushes it to views on every change.
 */
import type { EndReason, Stats } from '../../shared/protocol';
import { LIMITS } from '../../shared/limits';

export type Phase =
  | 'idle' // nothing going on: Start
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
  | { kind: 'media'; failure: MediaFailure }
  | { kind: 'server_error'; message: string };

export interface ChatLine {
  from: 'me' | 'stranger';
  text: string;
  at: number;
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
}

export const INITIAL_STATE: CallState = { phase: 'idle', commonInterests: [], remoteVideo: false, chat: [] };

export type CallEvent =
  | { type: 'start' }
  | { type: 'needs-permission' }
  | { type: 'queued'; stats?: Stats }
  | { type: 'stats'; stats: Stats }
  | { type: 'matched'; matchId: string; commonInterests: string[] }
  | { type: 'rtc'; matchId: string; phase: RtcPhase; remoteVideo: boolean }
  | { type: 'partner-ended'; matchId: string; reason: EndReason }
  | { type: 'chat'; matchId: string; line: ChatLine }
  | { type: 'stopped' }
  | { type: 'problem'; problem: Problem }
  | { type: 'server-reachable' };

/** How many chat lines a view can scroll back through. */
const CHAT_HISTORY = 200;

/** Fields that belong to one stranger and go when they do. */
const noCall = { matchId: undefined, rtc: undefined, remoteVideo: false, commonInterests: [], chat: [] } satisfies Partial<CallState>;

export function reduce(state: CallState, event: CallEvent): CallState {
  switch (event.type) {
    case 'start':
      return { ...state, ...noCall, phase: 'connecting', problem: undefined, endedReason: undefined };
    case 'needs-permission':
      return { ...state, phase: 'permission', problem: undefined };
    case 'queued':
      return { ...state, ...noCall, phase: 'waiting', stats: event.stats ?? state.stats, problem: undefined, endedReason: undefined };
    case 'stats':
      return state.phase === 'waiting' ? { ...state, stats: event.stats } : state;
    case 'matched':
      return { ...state, ...noCall, phase: 'matched', matchId: event.matchId, commonInterests: event.commonInterests, rtc: 'connecting', problem: undefined, endedReason: undefined };
    case 'rtc':
      return event.matchId === state.matchId ? { ...state, rtc: event.phase, remoteVideo: event.remoteVideo } : state;
    case 'partner-ended':
      if (event.matchId !== state.matchId) return state;
      return { ...state, ...noCall, phase: 'partner-left', endedReason: event.reason };
    case 'chat':
      if (event.matchId !== state.matchId) return state;
      return { ...state, chat: [...state.chat, { ...event.line, text: event.line.text.slice(0, LIMITS.chatMessage) }].slice(-CHAT_HISTORY) };
    case 'stopped':
      return { ...INITIAL_STATE };
    case 'problem':
      // Unreachable server: keep trying (socket.io reconnects) and say so. Camera problems stop the start.
      if (event.problem.kind === 'server_unreachable' && state.phase !== 'idle') return { ...state, ...noCall, phase: 'connecting', problem: event.problem };
      return { ...state, ...noCall, phase: 'idle', problem: event.problem };
    case 'server-reachable':
      return state.problem?.kind === 'server_unreachable' ? { ...state, problem: undefined } : state;
  }
}
