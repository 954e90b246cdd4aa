import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APPEAL_ERRORS, ERROR_CODES, HANDSHAKE_ERRORS } from '../../shared/errors';
import { LIMITS } from '../../shared/limits';
import { MAX_PENDING } from '../../extension/rtc/remote-candidates';
import { CHAT_CHANNEL, PEER_LIMITS, PEER_MESSAGES, PeerMessage } from '../../shared/peer';
import { BannedInfo, CLIENT_EVENTS, END_REASONS, REPORT_REASONS, SERVER_EVENTS } from '../../shared/protocol';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const n = (value: number) => value.toLocaleString('en-US');

describe('docs/protocol.md matches shared/', () => {
  it('documents every client event and server event as a heading', () => {
    for (const event of Object.keys(CLIENT_EVENTS)) expect(doc).toMatch(new RegExp(`^### \`${event}\``, 'm'));
    for (const reason of REPORT_REASONS) expect(doc).toContain(`\`${reason}\``);
    for (const event of SERVER_EVENTS) expect(doc).toMatch(new RegExp(`^### \`${event}\``, 'm'));
    const headings = [...doc.matchAll(/^### `([^`]+)`/gm)].map((m) => m[1]);
    expect(new Set(headings)).toEqual(new Set([...Object.keys(CLIENT_EVENTS), ...SERVER_EVENTS]));
  });

  it('draws the session states, away included', () => {
    for (const state of ['idle', 'waiting', 'matched', 'away']) expect(doc).toMatch(new RegExp(`^\\s*${state} -->`, 'm'));
  });

  it('lists every error code, handshake error and end reason in a table', () => {
    for (const code of [...ERROR_CODES, ...HANDSHAKE_ERRORS, ...END_REASONS]) expect(doc).toContain(`| \`${code}\` |`);
  });

  it('lists every appeal error with its HTTP status, and every field of a ban refusal', () => {
    for (const [code, status] of Object.entries(APPEAL_ERRORS)) expect(doc).toContain(`| \`${code}\` | ${status} |`);
    for (const field of Object.keys(BannedInfo.shape)) expect(doc).toContain(`\`${field}\``);
  });

  it('states the numeric bounds the schemas enforce', () => {
    expect(doc).toContain(`${n(LIMITS.maxMessageBytes)} bytes`);
    expect(doc).toContain(`SDP | ${n(LIMITS.sdpLength)} characters`);
    expect(doc).toContain(`ICE candidate | ${n(LIMITS.candidateLength)} characters`);
    expect(doc).toContain(`${LIMITS.interests} tags, 64 characters each on the wire, ${LIMITS.interestLength} after normalisation`);
    expect(doc).toContain(`match id | ${LIMITS.matchIdLength} characters`);
    expect(doc).toContain(`${LIMITS.chatMessage} characters`);
    expect(doc).toContain(`report details | ${LIMITS.reportDetails} characters`);
    expect(doc).toContain(`appeal text (\`POST /api/appeal\`) | ${LIMITS.appealText} characters`);
    expect(doc).toContain(`resume token | ${n(LIMITS.resumeTokenLength)} characters`);
    expect(doc).toContain(`held signals | ${LIMITS.heldSignals} per direction`);
  });

  it('documents every peer message as a heading under "Peer to peer", with exactly its keys', () => {
    const peer = doc.slice(doc.indexOf('\n## Peer to peer\n'));
    expect(peer.length).toBeLessThan(doc.length);
    const headings = [...peer.matchAll(/^#### `([^`]+)` `\{ ([^}]*) \}`/gm)];
    expect(new Set(headings.map((m) => m[1]))).toEqual(new Set(PEER_MESSAGES));
    for (const [, type, keys] of headings) {
      const schema = PeerMessage.options.find((option) => option.shape.type.value === type)!;
      const documented = keys.split(', ').map((key) => key.replace(/:.*/, ''));
      expect(new Set(documented)).toEqual(new Set(Object.keys(schema.shape)));
    }
  });

  it('states the chat channel and the peer-to-peer bounds', () => {
    const peer = doc.slice(doc.indexOf('\n## Peer to peer\n'));
    expect(peer).toContain(`label \`${CHAT_CHANNEL.label}\`, **negotiated** (\`negotiated: true\`, \`id: ${CHAT_CHANNEL.id}\`)`);
    expect(peer).toContain(`| data-channel frame | ${n(PEER_LIMITS.frame)} characters |`);
    expect(peer).toContain(`| chat id | ${PEER_LIMITS.chatId} characters |`);
    expect(peer).toContain(`| chat text | ${LIMITS.chatMessage} characters |`);
    expect(peer).toContain(`At most ${MAX_PENDING} candidates wait`);
  });
});
