/**
 * The call as every view sees it. The background's state machine
 * (call-machine.ts) owns the only live copy and pushes it to views on every
 * change; this file only says what it looks like.
 */
import type { BannedInfo, EndReason, Stats } from '../../shared/protocol';

export type Phase =
  | 'idle' // nothing going on: Start
  | 'rules' // the 18+ rules must be accepted before anything else
  | 'permission' // waiting for camera/microphone access in the permission tab
  | 'starting' // opening the camera and reaching the server
  | 'waiting' // in the queue
  | 'matched' // in a call
  | 'partner-away' // in a call whose stranger lost their server connection: kept, and said so
  | 'partner-left'; // the stranger ended it: notice and Next

/**
 * The signaling link, separate from the call: the call goes on while it is down.
 * offline: no socket (idle); connecting: the first connection; resuming: connected, taking the
 * call back (session:resume in flight); connected: usable; reconnecting: lost, trying again.
 */
export type LinkState = 'offline' | 'connecting' | 'resuming' | 'connected' | 'reconnecting';

export type RtcPhase = 'connecting' | 'connected' | 'failed';

/** Why the camera could not be opened. */
export type MediaFailure = 'denied' | 'no_device' | 'in_use' | 'other';

export type Problem =
  | ({ kind: 'banned' } & BannedInfo)
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'media'; failure: MediaFailure }
  | { kind: 'server_error'; message: string };

/** A report in flight, or why the last one did not go through (the dialog stays open and says so). */
export type ReportStatus = { status: 'sending' } | { status: 'failed'; reason: 'offline' | 'timeout' | 'refused'; message?: string };

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
  link: LinkState;
  matchId?: string;
  commonInterests: string[];
  stats?: Stats;
  rtc?: RtcPhase;
  remoteVideo: boolean;
  endedReason?: EndReason;
  problem?: Problem;
  report?: ReportStatus;
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

export const ALL_ON: MediaSwitches = { camera: true, mic: true };

export const INITIAL_STATE: CallState = {
  phase: 'idle',
  link: 'offline',
  commonInterests: [],
  remoteVideo: false,
  chat: [],
  remoteMedia: ALL_ON,
  localMedia: ALL_ON,
};

/** In a call with a stranger (present or momentarily away). */
export const inCall = (phase: Phase): boolean => phase === 'matched' || phase === 'partner-away';
