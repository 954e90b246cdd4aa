/**
 * The wire protocol between the extension and the server: one zod schema per
 * payload, the TypeScript types derived from them, and Socket.IO's typed event
 * maps. docs/protocol.md describes exactly this file; tests/unit/protocol-doc
 * checks that every event here is documented there.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { LIMITS } from './limits';
import { REPORT_REASONS } from './report-reasons';

// ---- handshake --------------------------------------------------------------

export const HandshakeAuth = z.strictObject({
  /** A random UUID the extension generates once and keeps; never shown to anyone else. */
  installId: z.uuid(),
  /** Added by socket.io-client itself when it tries to recover a dropped connection. */
  pid: z.string().max(64).optional(),
  offset: z.string().max(64).optional(),
});
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;

// ---- building blocks --------------------------------------------------------

export const MatchId = z.string().min(1).max(LIMITS.matchIdLength);

const SessionDescription = z.strictObject({
  type: z.enum(['offer', 'answer']),
  sdp: z.string().min(1).max(LIMITS.sdpLength),
});

const IceCandidate = z.strictObject({
  candidate: z.string().max(LIMITS.candidateLength),
  sdpMid: z.string().max(LIMITS.shortString).nullable().optional(),
  sdpMLineIndex: z.int().min(0).max(255).nullable().optional(),
  usernameFragment: z.string().max(LIMITS.shortString).nullable().optional(),
});

/** A description or a trickled candidate; `candidate: null` means end of candidates. */
export const SignalData = z.union([
  z.strictObject({ description: SessionDescription }),
  z.strictObject({ candidate: IceCandidate.nullable() }),
]);
export type SignalData = z.infer<typeof SignalData>;

// ---- client → server --------------------------------------------------------

export const QueueJoinPayload = z.strictObject({
  interests: z.array(z.string().max(64)).max(LIMITS.interests).optional(),
});
export const EmptyPayload = z.strictObject({});
export const SignalPayload = z.strictObject({ matchId: MatchId, data: SignalData });

export { REPORT_REASONS };
export const ReportPayload = z.strictObject({
  matchId: MatchId,
  reason: z.enum(REPORT_REASONS),
  details: z.string().max(LIMITS.reportDetails).optional(),
});
export type ReportPayload = z.infer<typeof ReportPayload>;

/** Opaque to clients: sealed by the server, it proves a match (see docs/protocol.md, "Resuming a call"). */
export const ResumeToken = z.string().min(1).max(LIMITS.resumeTokenLength);
export const SessionResumePayload = z.strictObject({ token: ResumeToken });
export type SessionResumePayload = z.infer<typeof SessionResumePayload>;

export type QueueJoinPayload = z.infer<typeof QueueJoinPayload>;
export type EmptyPayload = z.infer<typeof EmptyPayload>;
export type SignalPayload = z.infer<typeof SignalPayload>;

/** Schema of each client event's payload, keyed by event name. */
export const CLIENT_EVENTS = {
  'queue:join': QueueJoinPayload,
  'queue:next': EmptyPayload,
  'queue:leave': EmptyPayload,
  signal: SignalPayload,
  report: ReportPayload,
  'session:resume': SessionResumePayload,
} as const;
export type ClientEventName = keyof typeof CLIENT_EVENTS;

// ---- acknowledgements -------------------------------------------------------

export const Stats = z.strictObject({ online: z.int().min(0), waiting: z.int().min(0) });
export type Stats = z.infer<typeof Stats>;

export const ErrorBody = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  retryAfterMs: z.int().min(0).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export type AckError = { ok: false; error: ErrorBody };
export type Ack<T extends object = object> = ({ ok: true } & T) | AckError;

/** What each client event's acknowledgement carries when it succeeds. */
export interface AckBodies {
  'queue:join': { state: 'waiting' | 'matched'; stats: Stats };
  'queue:next': { state: 'waiting' | 'matched'; stats: Stats };
  'queue:leave': { state: 'idle' };
  signal: object;
  report: { state: 'waiting' | 'matched'; stats: Stats };
  'session:resume': ResumeAck;
}

// ---- server → client --------------------------------------------------------

export const IceServer = z.strictObject({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

export const MatchFound = z.strictObject({
  matchId: MatchId,
  /** The offerer creates the first offer; the answerer waits for it. */
  role: z.enum(['offerer', 'answerer']),
  /** Perfect negotiation: the polite side rolls back on glare. Always the answerer. */
  polite: z.boolean(),
  iceServers: z.array(IceServer),
  /** Interests both people listed, normalised. */
  commonInterests: z.array(z.string()),
  /** 'relay' when the server hides addresses behind TURN: gather and use relay candidates only. */
  iceTransportPolicy: z.enum(['all', 'relay']),
  /** Proof of this match for `session:resume` after a drop or a server restart. Opaque. */
  resumeToken: ResumeToken,
});
export type MatchFound = z.infer<typeof MatchFound>;

/** The `session:resume` ack when the call goes on: the match again, with a fresh token and fresh TURN credentials. */
export const ResumeMatched = z.strictObject({
  state: z.literal('matched'),
  matchId: MatchId,
  /** `away`: the stranger has not come back yet; `partner:back` follows when they do. */
  partner: z.enum(['present', 'away']),
  resumeToken: ResumeToken,
  role: MatchFound.shape.role,
  polite: z.boolean(),
  iceServers: z.array(IceServer),
  iceTransportPolicy: MatchFound.shape.iceTransportPolicy,
  commonInterests: z.array(z.string()),
});
export type ResumeMatched = z.infer<typeof ResumeMatched>;
/** The `session:resume` ack when the call is over (`match:ended` was sent just before it). */
export const ResumeIdle = z.strictObject({ state: z.literal('idle') });
export const ResumeAck = z.discriminatedUnion('state', [ResumeMatched, ResumeIdle]);
export type ResumeAck = z.infer<typeof ResumeAck>;

/** The stranger's connection dropped; the call is kept for `graceMs`. */
export const PartnerAway = z.strictObject({ matchId: MatchId, graceMs: z.int().min(0) });
export type PartnerAway = z.infer<typeof PartnerAway>;
/** The stranger is back on signaling (held signals have been delivered to them). */
export const PartnerBack = z.strictObject({ matchId: MatchId });
export type PartnerBack = z.infer<typeof PartnerBack>;

/** `ended` is deliberately neutral: the reported side of a report is not told it was reported. */
export const END_REASONS = ['next', 'left', 'disconnected', 'ended'] as const;
export const EndReason = z.enum(END_REASONS);
export type EndReason = z.infer<typeof EndReason>;

export const MatchEnded = z.strictObject({ matchId: MatchId, reason: EndReason });
export type MatchEnded = z.infer<typeof MatchEnded>;

export const ServerClosing = z.strictObject({ reconnectAfterMs: z.int().min(0) });
export type ServerClosing = z.infer<typeof ServerClosing>;

/** The data of a `banned` handshake refusal (connect_error.data). */
export const BannedInfo = z.strictObject({
  until: z.iso.datetime(),
  /** The category the ban was for (a report reason). */
  reason: z.enum(REPORT_REASONS),
  /** Banned for good: `until` is then far in the future and means nothing. */
  permanent: z.boolean(),
  /** An appeal of this ban has been received. */
  appealed: z.boolean(),
});
export type BannedInfo = z.infer<typeof BannedInfo>;

export const ProtocolError = z.strictObject({ event: z.string().max(100), error: ErrorBody });
export type ProtocolError = z.infer<typeof ProtocolError>;

// ---- Socket.IO event maps ---------------------------------------------------

type AckFn<E extends ClientEventName> = (ack: Ack<AckBodies[E]>) => void;

export interface ClientToServerEvents {
  'queue:join': (payload: QueueJoinPayload, ack: AckFn<'queue:join'>) => void;
  'queue:next': (payload: EmptyPayload, ack: AckFn<'queue:next'>) => void;
  'queue:leave': (payload: EmptyPayload, ack: AckFn<'queue:leave'>) => void;
  signal: (payload: SignalPayload, ack: AckFn<'signal'>) => void;
  report: (payload: ReportPayload, ack: AckFn<'report'>) => void;
  'session:resume': (payload: SessionResumePayload, ack: AckFn<'session:resume'>) => void;
}

export interface ServerToClientEvents {
  'match:found': (payload: MatchFound) => void;
  'match:ended': (payload: MatchEnded) => void;
  signal: (payload: SignalPayload) => void;
  stats: (payload: Stats) => void;
  'partner:away': (payload: PartnerAway) => void;
  'partner:back': (payload: PartnerBack) => void;
  /** The server is going away; calls are kept: reconnect after the given delay and resume. */
  'server:closing': (payload: ServerClosing) => void;
  /** An event that could not be acknowledged (unknown event or no ack callback). */
  'protocol:error': (payload: ProtocolError) => void;
}

// ---- HTTP: appeals (POST /api/appeal) ---------------------------------------

/** A banned person's appeal: their own install id (their only credential) and a short text. */
export const AppealRequest = z.strictObject({
  installId: z.uuid(),
  text: z.string().trim().min(1).max(LIMITS.appealText),
});
export type AppealRequest = z.infer<typeof AppealRequest>;

export const SERVER_EVENTS = [
  'match:found',
  'match:ended',
  'signal',
  'stats',
  'partner:away',
  'partner:back',
  'server:closing',
  'protocol:error',
] as const;
