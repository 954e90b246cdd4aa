/** Stable error codes: clients branch on these, so never rename one. */
export const ERROR_CODES = [
  'invalid_payload', // the payload does not match the event's schema
  'no_ack', // the event was sent without an acknowledgement callback
  'unknown_event', // no such client event
  'in_match', // queue:join while matched
  'not_in_match', // signal while not matched
  'stale_match', // signal or report for a match that is not your current one
  'relay_only', // a host or server-reflexive candidate while the server hides addresses (TURN relay only)
  'rate_limited', // too many events; retry after error.retryAfterMs
  'internal', // a server fault; safe to retry
  'invalid_token', // session:resume with a malformed or forged token, or one issued to another install
  'token_expired', // session:resume with a token past its expiry
  'not_idle', // session:resume on a connection that is already waiting or in another call
  'partner_away', // signal to an away partner whose held signals are full; resend after partner:back
  'unavailable', // the database or the shared live state did not answer within 1 s; retry after error.retryAfterMs
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Reasons the server refuses a connection at the handshake (connect_error's message). */
export const HANDSHAKE_ERRORS = ['origin_refused', 'invalid_install_id', 'banned', 'too_many_connections'] as const;
export type HandshakeError = (typeof HANDSHAKE_ERRORS)[number];

/** Error codes of POST /api/appeal (the body's `code`), with the HTTP status each comes with. */
export const APPEAL_ERRORS = {
  invalid_payload: 400, // not { installId, text } within the limits
  origin_refused: 403, // a browser origin outside the allow-list
  not_banned: 404, // this install has no ban in force: nothing to appeal
  already_appealed: 409, // this ban has been appealed already; one appeal per ban
  rate_limited: 429, // too many appeals from this address; retry after retryAfterMs
} as const;
export type AppealError = keyof typeof APPEAL_ERRORS;
