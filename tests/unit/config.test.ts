import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/config';
import { EXTENSION_ID, EXTENSION_ORIGIN, EXTENSION_PUBLIC_KEY } from '../../shared/extension-id';
import { normaliseInterests } from '../../shared/interests';

describe('config', () => {
  it('has working defaults, allowing the extension and localhost', () => {
    const config = parseConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.MONGODB_URI).toBeUndefined();
    expect(config.ALLOWED_ORIGINS).toEqual([EXTENSION_ORIGIN, 'http://localhost:*', 'http://127.0.0.1:*']);
  });

  it('adds the Web Store\'s extension id to the default allow-list through EXTENSION_IDS', () => {
    const storeId = 'abcdefghijklmnopabcdefghijklmnop';
    expect(parseConfig({ EXTENSION_IDS: `${EXTENSION_ID},${storeId}` }).ALLOWED_ORIGINS).toEqual([
      EXTENSION_ORIGIN,
      `chrome-extension://${storeId}`,
      'http://localhost:*',
      'http://127.0.0.1:*',
    ]);
    expect(parseConfig({ EXTENSION_IDS: storeId, ALLOWED_ORIGINS: 'https://a.example' }).ALLOWED_ORIGINS).toEqual(['https://a.example']);
    expect(() => parseConfig({ EXTENSION_IDS: 'not-an-id' })).toThrow('EXTENSION_IDS');
  });

  it('reads moderator accounts and refuses malformed ones', () => {
    expect(parseConfig({}).MODERATORS).toEqual([]);
    expect(() => parseConfig({ MODERATORS: 'mia:plaintext' })).toThrow('MODERATORS: expected name:hash pairs');
    expect(() => parseConfig({ MODERATORS: 'mia' })).toThrow('MODERATORS');
    expect(() => parseConfig({ MODERATORS: `auto:scrypt.16384.8.1.${'A'.repeat(22)}.${'A'.repeat(43)}` })).toThrow('MODERATORS');
  });

  it('names every bad variable and what it expected', () => {
    expect(() => parseConfig({ PORT: 'eighty', ICE_SERVERS: '{not json', MONGODB_URI: 'postgres://x' })).toThrow(ConfigError);
    try {
      parseConfig({ PORT: 'eighty', ICE_SERVERS: '{not json', MONGODB_URI: 'postgres://x' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/PORT: .*number/i);
      expect(message).toContain('ICE_SERVERS: expected JSON');
      expect(message).toContain('MONGODB_URI: expected a mongodb://');
    }
  });

  it('wants TURN URLs and secret together, and turn: URLs only', () => {
    expect(() => parseConfig({ TURN_URLS: 'turn:127.0.0.1:3478' })).toThrow('TURN_SECRET: set TURN_URLS and TURN_SECRET together');
    expect(() => parseConfig({ TURN_URLS: 'http://x', TURN_SECRET: 'x'.repeat(16) })).toThrow('TURN_URLS');
    expect(parseConfig({ TURN_URLS: 'turn:a:1, turns:b:2', TURN_SECRET: 'x'.repeat(16) }).TURN_URLS).toEqual(['turn:a:1', 'turns:b:2']);
  });

  it('validates the resume settings: grace, secret length, token lifetime at least the grace', () => {
    const config = parseConfig({});
    expect(config.RESUME_GRACE_S).toBe(20);
    expect(config.RESUME_TOKEN_TTL_S).toBe(43_200);
    expect(config.RESUME_SECRET).toBeUndefined();
    expect(() => parseConfig({ RESUME_SECRET: 'short' })).toThrow('RESUME_SECRET: expected at least 32 characters');
    expect(() => parseConfig({ RESUME_GRACE_S: '0' })).toThrow('RESUME_GRACE_S');
    expect(() => parseConfig({ RESUME_GRACE_S: '120', RESUME_TOKEN_TTL_S: '60' })).toThrow('RESUME_TOKEN_TTL_S: must be at least RESUME_GRACE_S');
    expect(parseConfig({ RESUME_SECRET: 'x'.repeat(32), RESUME_GRACE_S: '5' })).toMatchObject({ RESUME_GRACE_S: 5 });
  });

  it('treats empty values as unset', () => {
    expect(parseConfig({ PORT: '', MONGODB_URI: '' }).PORT).toBe(3000);
  });
});

describe('extension id', () => {
  it('is derived from the manifest key', () => {
    const der = Buffer.from(EXTENSION_PUBLIC_KEY, 'base64');
    const hex = createHash('sha256').update(der).digest('hex').slice(0, 32);
    expect([...hex].map((h) => String.fromCharCode(97 + parseInt(h, 16))).join('')).toBe(EXTENSION_ID);
  });
});

describe('interests', () => {
  it('normalises, dedupes and bounds', () => {
    expect(normaliseInterests(['  Chess ', 'CHESS', '', 'Board   Games', 'x'.repeat(40), 'a', 'b', 'c'])).toEqual([
      'chess',
      'board games',
      'x'.repeat(24),
      'a',
      'b',
    ]);
  });
});
