/** `npm run -s moderator-hash`: a password on stdin, its scrypt hash on one line, accepted by MODERATORS and by sign-in. */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config';
import { verifyPassword } from '../../server/moderation/password';

describe('moderator-hash', () => {
  it('prints one line that verifies the password and nothing else', { timeout: 60_000 }, async () => {
    const out = execFileSync('npm', ['run', '-s', 'moderator-hash'], { input: 'hunter2 hunter2\n', encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
    expect(out.endsWith('\n')).toBe(true);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const hash = lines[0]!;
    expect(await verifyPassword('hunter2 hunter2', hash)).toBe(true);
    expect(await verifyPassword('hunter2 hunter3', hash)).toBe(false);
    expect(parseConfig({ MODERATORS: `mia:${hash}, noa:${hash}` }).MODERATORS).toEqual([
      { name: 'mia', hash },
      { name: 'noa', hash },
    ]);
  });

  it('refuses an empty or short password', { timeout: 60_000 }, () => {
    const result = spawnSync('npm', ['run', '-s', 'moderator-hash'], { input: 'short\n', encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
  });
});
