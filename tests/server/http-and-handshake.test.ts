import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_ORIGIN } from '../../shared/extension-id';
import { connectClient, nextEvent, pairUp, recordEvents, startServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('HTTP', () => {
  it('GET /healthz reports status, store kind and live counts', async () => {
    const { offerer, answerer } = await pairUp(server.url);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', store: 'memory', online: 2, waiting: 0, inCalls: 2, away: 0, storeQueue: { pending: 0, lost: 0 } });
    expect(typeof body.uptimeS).toBe('number');
    offerer.close();
    answerer.close();
  });

  it('GET / renders the landing page with live counts', async () => {
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<h1>Tabcall</h1>');
    expect(html).toMatch(/<b>\d+<\/b> online/);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('handshake', () => {
  it('accepts the extension origin and localhost', async () => {
    for (const origin of [EXTENSION_ORIGIN, 'http://localhost:5173', 'http://127.0.0.1:3000']) {
      const socket = await connectClient(server.url, { origin });
      socket.close();
    }
  });

  it('refuses a foreign browser origin', async () => {
    await expect(connectClient(server.url, { origin: 'https://evil.example' })).rejects.toThrow('origin_refused');
    await expect(connectClient(server.url, { origin: 'chrome-extension://aaaabbbbccccddddeeeeffffgggghhhh' })).rejects.toThrow('origin_refused');
  });

  it('refuses a missing or malformed install id', async () => {
    await expect(connectClient(server.url, { auth: {} })).rejects.toThrow('invalid_install_id');
    await expect(connectClient(server.url, { auth: { installId: 'not-a-uuid' } })).rejects.toThrow('invalid_install_id');
    await expect(connectClient(server.url, { auth: { installId: crypto.randomUUID(), extra: 1 } })).rejects.toThrow('invalid_install_id');
  });
});

describe('shutdown', () => {
  it('tells every client it is going away and closes without ending calls', async () => {
    const s = await startServer();
    const { offerer, answerer, matchId } = await pairUp(s.url);
    const seen = [recordEvents(offerer), recordEvents(answerer)];
    const closing = nextEvent(offerer, 'server:closing');
    const disconnected = new Promise((resolve) => answerer.once('disconnect', resolve));
    await s.close();
    expect(await closing).toEqual({ reconnectAfterMs: 2000 });
    await disconnected;
    for (const events of seen) expect(events.map((e) => e.event)).toEqual(['server:closing']);
    expect(await s.store.findCall(matchId)).toBeUndefined();
  });
});
