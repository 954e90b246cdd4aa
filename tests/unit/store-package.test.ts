/**
 * `npm run zip` builds the Web Store package: the same extension, without the
 * manifest `key` (the store refuses one and assigns its own id).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ZIP = '.output/tabcall-0.1.0-chrome-store.zip';

describe('npm run zip', () => {
  it('packs the built extension without a manifest key', { timeout: 180_000 }, () => {
    rmSync(ZIP, { force: true });
    execFileSync('npm', ['run', '-s', 'zip'], { stdio: 'pipe' });
    expect(existsSync(ZIP)).toBe(true);
    const listing = execFileSync('unzip', ['-Z1', ZIP], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['manifest.json', 'background.js', 'popup.html', 'offscreen.html', '_locales/fr/messages.json']));
    const manifest = JSON.parse(execFileSync('unzip', ['-p', ZIP, 'manifest.json'], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(manifest).not.toHaveProperty('key');
    expect(manifest).toMatchObject({ manifest_version: 3, name: '__MSG_extName__', default_locale: 'en' });
    expect(manifest.permissions).toEqual(expect.arrayContaining(['offscreen', 'storage', 'sidePanel']));
  });
});
