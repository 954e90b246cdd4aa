/**
 * What two Tabcall peers say to each other over the data channel. The other
 * side is a stranger: everything received is parsed against these schemas
 * and anything else is dropped.
 */
import { z } from 'zod';
import { LIMITS } from '../../shared/limits';

const ChatId = z.string().min(1).max(64);

export const PeerMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('chat'), id: ChatId, text: z.string().trim().min(1).max(LIMITS.chatMessage) }),
  /** The chat message with this id arrived. */
  z.strictObject({ type: z.literal('ack'), id: ChatId }),
  z.strictObject({ type: z.literal('typing') }),
  /** The sender's camera and microphone are on or off (so the other side shows a placeholder, not a frozen frame). */
  z.strictObject({ type: z.literal('media'), camera: z.boolean(), mic: z.boolean() }),
]);
export type PeerMessage = z.infer<typeof PeerMessage>;

/** Parses a raw data-channel message; undefined for anything that is not one of ours. */
export function parsePeerMessage(raw: unknown): PeerMessage | undefined {
  if (typeof raw !== 'string' || raw.length > LIMITS.chatMessage * 6 + 200) return undefined;
  try {
    const result = PeerMessage.safeParse(JSON.parse(raw));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
