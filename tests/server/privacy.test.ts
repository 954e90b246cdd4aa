/** /privacy: the policy in English and French, with this server's retention and contact, linked from the landing page. */
import { afterEach, describe, expect, it } from 'vitest';
import { http } from '../helpers/mod-client';
import { startServer, type TestServer } from '../helpers/server';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(overrides: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(overrides);
  servers.push(s);
  return s;
}

describe('privacy policy', () => {
  it('says what is collected, what never is, how long, and how to ask for deletion, in English', async () => {
    const s = await server({ RETENTION_DAYS: 45, PRIVACY_CONTACT: 'privacy@tabcall.example' });
    const res = await http(`${s.url}/privacy`);
    expect(res.status).toBe(200);
    expect(res.headers['content-language']).toBe('en');
    for (const heading of ['What is collected', 'What is never collected', 'How long it is kept', 'How to ask for deletion']) expect(res.body).toContain(heading);
    for (const item of ['install id', 'Call records, without content', 'Reports', 'Video and sound', 'Chat messages', 'IP addresses']) expect(res.body).toContain(item);
    expect(res.body).toContain('<b>45 days</b>');
    expect(res.body).toContain('mailto:privacy@tabcall.example');
    // Without TURN, the page does not pretend addresses are hidden.
    expect(res.body).toContain('the person you meet can see your IP address');
  });

  it('in French, by ?lang=fr or by Accept-Language', async () => {
    const s = await server({ RETENTION_DAYS: 30 });
    for (const res of [await http(`${s.url}/privacy?lang=fr`), await http(`${s.url}/privacy`, { headers: { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' } })]) {
      expect(res.headers['content-language']).toBe('fr');
      expect(res.body).toContain('<html lang="fr">');
      for (const heading of ['Ce qui est collecté', 'Ce qui n’est jamais collecté', 'Combien de temps', 'Demander l’effacement']) expect(res.body).toContain(heading);
      expect(res.body).toContain('<b>30 jours</b>');
      expect(res.body).toContain('l’exploitant de ce serveur');
    }
  });

  it('says calls are relayed when TURN is configured', async () => {
    const s = await server({ TURN_URLS: ['turn:127.0.0.1:3478'], TURN_SECRET: 'x'.repeat(32) });
    expect((await http(`${s.url}/privacy`)).body).toContain('Calls go through a relay');
  });

  it('is linked from the landing page in both languages', async () => {
    const s = await server();
    const landing = (await http(`${s.url}/`)).body;
    expect(landing).toContain('href="/privacy"');
    expect(landing).toContain('href="/privacy?lang=fr"');
  });
});
