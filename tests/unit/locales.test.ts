import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Messages = Record<string, { message: string; placeholders?: Record<string, { content: string }> }>;
const load = (lang: string): Messages => JSON.parse(readFileSync(new URL(`../../extension/public/_locales/${lang}/messages.json`, import.meta.url), 'utf8'));

describe('translations', () => {
  const en = load('en');
  const fr = load('fr');

  it('French has every English string, with the same placeholders', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      expect(Object.keys(fr[key].placeholders ?? {}).sort(), key).toEqual(Object.keys(en[key].placeholders ?? {}).sort());
      for (const name of Object.keys(en[key].placeholders ?? {})) expect(fr[key].message, key).toContain(`$${name.toUpperCase()}$`);
    }
  });

  it('keeps the accessible names the tests and screen readers rely on', () => {
    expect([en.start, en.next, en.stop, en.send, en.message, en.stranger, en.you].map((m) => m.message)).toEqual([
      'Start', 'Next', 'Stop', 'Send', 'Message', 'Stranger', 'You',
    ]);
    expect([fr.start, fr.next, fr.stop, fr.send].map((m) => m.message)).toEqual(['Démarrer', 'Suivant', 'Arrêter', 'Envoyer']);
  });
});
