/**
 * Moderator sessions, held in this process: the cookie carries only a random
 * id, signed (cookie-parser) so a forged one is refused before any lookup.
 * Held server-side so that signing out really ends a session; a restart signs
 * everyone out, which is fine for a handful of moderators.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface ModSession {
  id: string;
  name: string;
  /** This session's CSRF token, carried by every state-changing form. */
  csrf: string;
  expiresAt: number;
}

const token = () => randomBytes(32).toString('base64url');

export class ModSessions {
  readonly #sessions = new Map<string, ModSession>();

  constructor(private readonly ttlMs: number) {}

  create(name: string, now = Date.now()): ModSession {
    for (const [id, session] of this.#sessions) if (session.expiresAt <= now) this.#sessions.delete(id);
    const session = { id: token(), name, csrf: token(), expiresAt: now + this.ttlMs };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id; an expired one is forgotten. */
  get(id: unknown, now = Date.now()): ModSession | undefined {
    if (typeof id !== 'string') return undefined;
    const session = this.#sessions.get(id);
    if (session && session.expiresAt <= now) this.#sessions.delete(id);
    return session && session.expiresAt > now ? session : undefined;
  }

  destroy(id: string): void {
    this.#sessions.delete(id);
  }
}

export { token as randomToken };

/** Constant-time equality of two tokens (false for anything not a string). */
export function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
