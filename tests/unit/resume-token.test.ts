import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResumeTokens } from '../../server/services/resume-token';
import { LIMITS } from '../../shared/limits';

const tokens = new ResumeTokens('s'.repeat(32), 60_000);
const claims = () => ({
  matchId: randomUUID(),
  installId: randomUUID(),
  partnerId: randomUUID(),
  role: 'answerer' as const,
  commonInterests: Array.from({ length: LIMITS.interests }, (_, i) => `${i}`.padEnd(LIMITS.interestLength, 'x')),
  startedAt: Date.now(),
});

describe('resume tokens', () => {
  it('round-trip, stay within the protocol bound at the largest, and hide the partner', () => {
    const c = claims();
    const token = tokens.seal(c);
    expect(token.length).toBeLessThanOrEqual(LIMITS.resumeTokenLength);
    expect(tokens.open(token)).toEqual({ ok: true, claims: { ...c, expiresAt: expect.any(Number) } });
    expect(Buffer.from(token, 'base64url').toString('latin1')).not.toContain(c.partnerId);
    expect(token).not.toContain(c.partnerId);
  });

  it('refuse any altered byte, and expire', () => {
    const c = claims();
    const token = tokens.seal(c);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const raw = Buffer.from(token, 'base64url');
        raw[at % raw.length]! ^= flip;
        expect(tokens.open(raw.toString('base64url'))).toEqual({ ok: false, code: 'invalid_token' });
      }),
    );
    expect(tokens.open(tokens.seal(c, Date.now() - 60_001))).toEqual({ ok: false, code: 'token_expired' });
    expect(new ResumeTokens('t'.repeat(32), 60_000).open(token)).toEqual({ ok: false, code: 'invalid_token' });
  });
});
