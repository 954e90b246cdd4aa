/**
 * Configuration from the environment (and a .env file if present, read by
 * Node itself), validated once at start. A bad value stops the server with a
 * message naming the variable and what it expected.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { EXTENSION_ID } from '../shared/extension-id';
import { IceServer } from '../shared/protocol';
import { HASH_PATTERN } from './moderation/password';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const list = (text: string) => text.split(',').map((item) => item.trim()).filter(Boolean);

/** `name:hash,name:hash`; the hash is split off at the first colon. */
const moderators = z
  .string()
  .default('')
  .transform((text, ctx) =>
    list(text).map((entry) => {
      const colon = entry.indexOf(':');
      const name = entry.slice(0, colon);
      const hash = entry.slice(colon + 1);
      // "auto" is how the audit and ban history name the automatic rule.
      if (colon < 1 || !/^[\w.-]{1,40}$/.test(name) || name === 'auto' || !HASH_PATTERN.test(hash)) {
        ctx.addIssue({ code: 'custom', message: 'expected name:hash pairs, each hash from `npm run -s moderator-hash`' });
      }
      return { name, hash };
    }),
  );

const jsonArray = <T extends z.ZodType>(item: T) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON' });
      return z.NEVER;
    }
  }).pipe(z.array(item));

export const ConfigSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URI').optional(),
  /** Comma-separated origins; an entry ending in ":*" allows any port. Unset: EXTENSION_IDS' origins and localhost. */
  ALLOWED_ORIGINS: z.string().transform(list).optional(),
  /** Extension ids allowed by the default origin list: the unpacked build's, and the Web Store's once it has one. */
  EXTENSION_IDS: z
    .string()
    .default(EXTENSION_ID)
    .transform(list)
    .pipe(z.array(z.string().regex(/^[a-p]{32}$/, 'expected 32-letter Chrome extension ids (a to p)'))),
  ICE_SERVERS: jsonArray(IceServer).default([{ urls: 'stun:stun.l.google.com:19302' }]),
  INTEREST_WAIT_MS: int(0, 60_000).default(3000),
  STATS_INTERVAL_MS: int(1000, 60_000).default(1000),
  RATE_QUEUE_POINTS: int(1, 10_000).default(30),
  RATE_QUEUE_WINDOW_S: int(1, 3600).default(10),
  RATE_SIGNAL_POINTS: int(1, 100_000).default(300),
  RATE_SIGNAL_WINDOW_S: int(1, 3600).default(10),
  SHUTDOWN_GRACE_MS: int(0, 60_000).default(2000),
  /** Per-address buckets allow this many times a connection's (people share addresses behind NAT). */
  RATE_ADDRESS_FACTOR: int(1, 1000).default(4),
  RATE_REPORT_POINTS: int(1, 1000).default(5),
  RATE_REPORT_WINDOW_S: int(1, 86_400).default(3600),
  /** Use the first X-Forwarded-For address as the client's (only behind a proxy you run). */
  TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  REPORT_BAN_THRESHOLD: int(1, 1000).default(3),
  REPORT_WINDOW_S: int(60, 30 * 86_400).default(86_400),
  BAN_BASE_S: int(1, 365 * 86_400).default(3600),
  BAN_MAX_S: int(1, 10 * 365 * 86_400).default(30 * 86_400),
  /** Comma-separated TURN URLs (turn:host:3478?transport=udp,…). With TURN_SECRET, calls are relay-only. */
  TURN_URLS: z
    .string()
    .default('')
    .transform((list) => list.split(',').map((url) => url.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^turns?:/, 'expected turn: or turns: URLs'))),
  TURN_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  TURN_TTL_S: int(60, 86_400).default(3600),
  /** Moderator accounts for /mod. */
  MODERATORS: moderators,
  MOD_SESSION_TTL_S: int(1, 7 * 86_400).default(8 * 3600),
  /** Failed sign-ins allowed per name per window (per address: RATE_ADDRESS_FACTOR times as many). */
  MOD_SIGNIN_POINTS: int(1, 1000).default(5),
  MOD_SIGNIN_WINDOW_S: int(1, 86_400).default(900),
  /** Call records and dismissed reports older than this are deleted. */
  RETENTION_DAYS: int(1, 3650).default(30),
  RETENTION_SWEEP_S: int(1, 86_400).default(3600),
  /** Where the privacy page tells people to ask for deletion; unset, it says "the operator of this server". */
  PRIVACY_CONTACT: z.email().optional(),
  /** How long a person whose connection dropped mid-call keeps their seat. */
  RESUME_GRACE_S: int(1, 300).default(20),
  /** Seals resume tokens; every process that should adopt calls needs the same one. Unset: a development secret. */
  RESUME_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  /** How long a resume token is accepted after it was issued (a call longer than this cannot be adopted). */
  RESUME_TOKEN_TTL_S: int(60, 7 * 86_400).default(43_200),
  /** Live state shared by every process (redis://…); unset: in this process's memory, one process only. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
  /** Connections one address may hold at once, counted across every process. */
  MAX_CONNECTIONS_PER_ADDRESS: int(1, 100_000).default(50),
}).refine((config) => (config.TURN_URLS.length > 0) === (config.TURN_SECRET !== undefined), {
  message: 'set TURN_URLS and TURN_SECRET together',
  path: ['TURN_SECRET'],
}).refine((config) => config.RESUME_TOKEN_TTL_S >= config.RESUME_GRACE_S, {
  message: 'must be at least RESUME_GRACE_S',
  path: ['RESUME_TOKEN_TTL_S'],
});

type Parsed = z.infer<typeof ConfigSchema>;
export type Config = Omit<Parsed, 'ALLOWED_ORIGINS'> & { ALLOWED_ORIGINS: string[] };

/** The default allow-list: each extension id's origin, and any port on localhost. */
export function defaultOrigins(extensionIds: readonly string[]): string[] {
  return [...extensionIds.map((id) => `chrome-extension://${id}`), 'http://localhost:*', 'http://127.0.0.1:*'];
}

/**
 * Used when RESUME_SECRET is unset, so a development server works out of the
 * box (and a restarted one still adopts calls); anyone can read it here, so
 * main.ts warns. Production sets its own.
 */
export const DEV_RESUME_SECRET = 'tabcall-development-resume-secret-not-for-production';

export class ConfigError extends Error {}

/** Parses an environment; throws ConfigError listing every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as in a .env file with `KEY=`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = ConfigSchema.safeParse(present);
  if (result.success) return { ...result.data, ALLOWED_ORIGINS: result.data.ALLOWED_ORIGINS ?? defaultOrigins(result.data.EXTENSION_IDS) };
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export function loadConfig(): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return parseConfig(process.env);
}
