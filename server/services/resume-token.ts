/**
 * Resume tokens: a person's sealed proof of a match, so any process holding
 * RESUME_SECRET (a fresh one after a crash included) can adopt the call.
 * AES-256-GCM keeps it confidential (the holder must not learn the stranger's
 * install id) and authentic (a flipped bit fails the tag). Layout, base64url:
 * version (1 byte) | iv (12) | tag (16) | ciphertext of the JSON claims.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { LIMITS } from '../../shared/limits';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a token says. Short keys keep it well under LIMITS.resumeTokenLength. */
const Claims = z.strictObject({
  /** match id */
  m: z.string().min(1).max(LIMITS.matchIdLength),
  /** the holder's install id */
  i: z.string().min(1).max(64),
  /** the partner's install id */
  p: z.string().min(1).max(64),
  /** the holder's role: offerer or answerer */
  r: z.enum(['o', 'a']),
  /** interests both share */
  c: z.array(z.string().max(LIMITS.interestLength)).max(LIMITS.interests),
  /** call start, ms since the epoch (the adopted call's record keeps it) */
  s: z.int().min(0),
  /** expiry, ms since the epoch */
  x: z.int().min(0),
});

export interface ResumeClaims {
  matchId: string;
  installId: string;
  partnerId: string;
  role: 'offerer' | 'answerer';
  commonInterests: string[];
  startedAt: number;
  expiresAt: number;
}

export type OpenResult = { ok: true; claims: ResumeClaims } | { ok: false; code: 'invalid_token' | 'token_expired' };

export class ResumeTokens {
  readonly #key: Buffer;

  constructor(secret: string, private readonly ttlMs: number) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'tabcall', 'resume token v1', 32));
  }

  seal(claims: Omit<ResumeClaims, 'expiresAt'>, now = Date.now()): string {
    const body: z.infer<typeof Claims> = {
      m: claims.matchId,
      i: claims.installId,
      p: claims.partnerId,
      r: claims.role === 'offerer' ? 'o' : 'a',
      c: claims.commonInterests,
      s: claims.startedAt,
      x: now + this.ttlMs,
    };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /** Never throws: anything that is not a genuine, unexpired token of ours is refused with a code. */
  open(token: string, now = Date.now()): OpenResult {
    const raw = Buffer.from(token, 'base64url');
    if (raw.length <= 1 + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) return { ok: false, code: 'invalid_token' };
    let json: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(1, 1 + IV_BYTES));
      decipher.setAuthTag(raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
      json = JSON.parse(plain.toString('utf8'));
    } catch {
      return { ok: false, code: 'invalid_token' };
    }
    const parsed = Claims.safeParse(json);
    if (!parsed.success) return { ok: false, code: 'invalid_token' };
    const c = parsed.data;
    if (c.x <= now) return { ok: false, code: 'token_expired' };
    return {
      ok: true,
      claims: {
        matchId: c.m,
        installId: c.i,
        partnerId: c.p,
        role: c.r === 'o' ? 'offerer' : 'answerer',
        commonInterests: c.c,
        startedAt: c.s,
        expiresAt: c.x,
      },
    };
  }
}
