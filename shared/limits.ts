/**
 * Size and count bounds that both sides enforce. The server rejects anything
 * larger; the extension never builds anything larger.
 */
export const LIMITS = {
  /** Interests a person may list. */
  interests: 5,
  /** Characters in one interest tag after normalisation. */
  interestLength: 24,
  /** Characters in an SDP blob. Chrome's offers with audio + video and a data channel are 4–10 KB. */
  sdpLength: 16_000,
  /** Characters in one ICE candidate line (real ones are < 200). */
  candidateLength: 512,
  /** Characters in sdpMid / usernameFragment. */
  shortString: 64,
  /** Characters in a match id (a UUID). */
  matchIdLength: 64,
  /**
   * Socket.IO's maxHttpBufferSize in bytes: the largest legal signal is an SDP of
   * sdpLength characters, JSON-escaped (each CRLF grows to 4 bytes) plus the envelope,
   * which stays under 20 KB. 32 KiB leaves headroom and refuses anything bigger
   * before it is even parsed.
   */
  maxMessageBytes: 32 * 1024,
  /** Characters in a report's optional details. */
  reportDetails: 300,
  /** Characters in a banned person's appeal. */
  appealText: 500,
  /** Characters in one chat message (sent peer to peer, never through the server). */
  chatMessage: 500,
  /** Characters in a resume token (opaque, sealed by the server; real ones are about 450). */
  resumeTokenLength: 1024,
  /** Signals the server holds for an away partner, per direction; beyond it: `partner_away`. */
  heldSignals: 64,
} as const;
