/**
 * Moderator passwords as scrypt hashes (node:crypto), written
 * `scrypt.N.r.p.<salt>.<hash>` with base64url parts: no `:`, `,` or `$`, so a
 * hash sits unquoted in MODERATORS, a shell or a .env file.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
export const HASH_PATTERN = /^scrypt\.\d+\.\d+\.\d+\.[\w-]{16,}\.[\w-]{32,}$/;

function derive(password: string, salt: Buffer, options: ScryptOptions, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, length, { ...options, maxmem: 256 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS, KEY_LENGTH);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('.');
}

/** Constant-time comparison; a malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (!HASH_PATTERN.test(hash)) return false;
  const [, n, r, p, salt, expected] = hash.split('.');
  const want = Buffer.from(expected!, 'base64url');
  const got = await derive(password, Buffer.from(salt!, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) }, want.length);
  return timingSafeEqual(got, want);
}

/** A hash of nothing anyone knows: checked for unknown names so they take as long as known ones. */
export const DECOY_HASH = 'scrypt.16384.8.1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
