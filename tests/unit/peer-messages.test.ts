import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits';
import { PEER_LIMITS, parsePeerMessage } from '../../shared/peer';

const valid = fc.oneof(
  fc.record({ type: fc.constant('chat'), id: fc.string({ minLength: 1, maxLength: PEER_LIMITS.chatId }), text: fc.string({ minLength: 1, maxLength: LIMITS.chatMessage }).filter((t) => t.trim() !== '') }),
  fc.record({ type: fc.constant('ack'), id: fc.string({ minLength: 1, maxLength: PEER_LIMITS.chatId }) }),
  fc.record({ type: fc.constant('typing') }),
  fc.record({ type: fc.constant('media'), camera: fc.boolean(), mic: fc.boolean() }),
);

describe('parsePeerMessage', () => {
  it('reads each of the four messages from a text frame', () => {
    fc.assert(
      fc.property(valid, (message) => {
        const parsed = parsePeerMessage(JSON.stringify(message));
        expect(parsed).toEqual(message.type === 'chat' ? { ...message, text: (message.text as string).trim() } : message);
      }),
    );
  });

  it('drops a message with any key it does not know', () => {
    fc.assert(
      fc.property(valid, fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue(), (message, key, value) => {
        fc.pre(!(key in message) && key !== '__proto__');
        expect(parsePeerMessage(JSON.stringify({ ...message, [key]: value }))).toBeUndefined();
      }),
    );
  });

  it('drops binary frames, non-JSON, oversized frames and out-of-bound values', () => {
    expect(parsePeerMessage(new Uint8Array([123, 125]).buffer)).toBeUndefined();
    expect(parsePeerMessage('not json')).toBeUndefined();
    expect(parsePeerMessage(JSON.stringify({ type: 'chat', id: 'a', text: 'x'.repeat(LIMITS.chatMessage + 1) }))).toBeUndefined();
    expect(parsePeerMessage(JSON.stringify({ type: 'chat', id: 'a', text: '   ' }))).toBeUndefined();
    expect(parsePeerMessage(JSON.stringify({ type: 'chat', id: 'x'.repeat(PEER_LIMITS.chatId + 1), text: 'hi' }))).toBeUndefined();
    expect(parsePeerMessage(JSON.stringify({ type: 'ack', id: '' }))).toBeUndefined();
    expect(parsePeerMessage(JSON.stringify({ type: 'media', camera: 'yes', mic: true }))).toBeUndefined();
    expect(parsePeerMessage(`${JSON.stringify({ type: 'typing' })}${' '.repeat(PEER_LIMITS.frame)}`)).toBeUndefined();
    // The longest legal chat, with every character escaped, still fits a frame.
    const longest = JSON.stringify({ type: 'chat', id: 'i'.repeat(PEER_LIMITS.chatId), text: '\u0001'.repeat(LIMITS.chatMessage) });
    expect(longest.length).toBeLessThanOrEqual(PEER_LIMITS.frame);
  });
});
