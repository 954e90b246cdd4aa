/**
 * What two peers say to each other, directly, never through the server: the
 * negotiated data channel and the messages on it. docs/protocol.md ("Peer to
 * peer") describes exactly this file; tests/unit/protocol-doc checks it. The
 * other side is a stranger: everything received is parsed against these
 * schemas and anything else is dropped without a word.
 */
import { z } from 'zod';
import { LIMITS } from './limits';

/** The chat data channel: negotiated out of band with this label and id, so both sides create it. */
export const CHAT_CHANNEL = { label: 'chat', id: 0 } as const;

export const PEER_LIMITS = {
  /** Characters in a chat message id. */
  chatId: 64,
  /** Characters in one data-channel frame; longer frames are dropped unread (a 500-character chat, JSON-escaped, fits). */
  frame: LIMITS.chatMessage * 6 + 200,
} as const;

const ChatId = z.string().min(1).max(PEER_LIMITS.chatId);

export const PeerMessage = z.discriminatedUnion('type', [
  /** A chat message; the receiver answers with an ack of the same id. */
  z.strictObject({ type: z.literal('chat'), id: ChatId, text: z.string().trim().min(1).max(LIMITS.chatMessage) }),
  /** The chat message with this id arrived. */
  z.strictObject({ type: z.literal('ack'), id: ChatId }),
  /** The sender is typing. */
  z.strictObject({ type: z.literal('typing') }),
  /** The sender's camera and microphone are on or off (so the other side shows a placeholder, not a frozen frame). */
  z.strictObject({ type: z.literal('media'), camera: z.boolean(), mic: z.boolean() }),
]);
export type PeerMessage = z.infer<typeof PeerMessage>;

/** The message types, for the doc test. */
export const PEER_MESSAGES = PeerMessage.options.map((option) => option.shape.type.value);

/** Parses a raw data-channel frame; undefined for a binary frame, bad JSON or anything not exactly one of ours. */
export function parsePeerMessage(raw: unknown): PeerMessage | undefined {
  if (typeof raw !== 'string' || raw.length > PEER_LIMITS.frame) return undefined;
  try {
    const result = PeerMessage.safeParse(JSON.parse(raw));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
