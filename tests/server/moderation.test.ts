/**
 * The moderator console over real HTTP against a real server: who can reach
 * what (session, forged and expired cookies, CSRF, brute force), the actions
 * and their audit log, bans taking effect on live sockets at once, appeals,
 * and that no public route ever shows an install id.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../../server/app';
import type { NewReport } from '../../server/store';
import { sleep, connectClient, nextEvent, startServer, type TestServer, type Client, pairUp } from '../helpers/server';
import { http, ModClient, moderators, MODERATOR } from '../helpers/mod-client';

const servers: TestServer[] = [];
const sockets: Client[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(overrides: Partial<ServerOptions> = {}) {
  const s = await startServer({ MODERATORS: await moderators(), ...overrides });
  servers.push(s);
  return s;
}

async function signedIn(s: TestServer) {
  const client = new ModClient(s.url);
  const res = await client.signIn();
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/mod');
  await client.get('/mod');
  return client;
}

/** A reported person with one open report, as the store holds them. */
async function reported(s: TestServer, reason: 'nudity' | 'spam' | 'underage' | 'harassment' = 'spam', reportedId: string = randomUUID()) {
  const report = await s.store.addReport({ reporterId: randomUUID(), reportedId, matchId: randomUUID(), reason, details: 'words', at: new Date() });
  return { reportedId, report };
}

/** A report as the report handler files it: written first, then counted toward an automatic ban. */
async function fileReport(s: TestServer, report: NewReport) {
  expect(await s.server.safety.saveReport(report)).toBe(true);
  return s.server.safety.decideBan(report);
}

function refusedWithBan(url: string, installId: string) {
  return connectClient(url, { installId }).then(
    (socket) => {
      socket.close();
      return undefined;
    },
    (error: Error & { data?: unknown }) => ({ message: error.message, data: error.data }),
  );
}

describe('sign-in', () => {
  it('shows a form labelled Name and Password with a Sign in button, and signs in with a signed HttpOnly SameSite=Strict cookie', async () => {
    const s = await server();
    const client = new ModClient(s.url);
    const page = await client.get('/mod/sign-in');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<label>Name <input name="name"/);
    expect(page.body).toMatch(/<label>Password <input name="password" type="password"/);
    expect(page.body).toMatch(/<button class="primary">Sign in<\/button>/);
    const res = await client.post('/mod/sign-in', { name: MODERATOR.name, password: MODERATOR.password });
    expect(res.status).toBe(303);
    const cookie = res.cookies.find((c) => c.startsWith('tabcall_mod='))!;
    expect(cookie).toMatch(/^tabcall_mod=s%3A/); // signed
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/mod');
    expect(cookie).not.toContain('Secure'); // localhost
    expect((await client.get('/mod')).body).toContain('Signed in as <b>mia</b>');
  });

  it('marks the cookie Secure outside localhost', async () => {
    const s = await server();
    const client = new ModClient(s.url);
    await client.request('/mod/sign-in', { headers: { host: 'mod.example.org' } });
    const res = await client.request('/mod/sign-in', {
      headers: { host: 'mod.example.org' },
      form: { _csrf: client.csrf!, name: MODERATOR.name, password: MODERATOR.password },
    });
    expect(res.cookies.find((c) => c.startsWith('tabcall_mod='))).toContain('Secure');
  });

  it('refuses a wrong password or an unknown name, and a sign-in post without the form\'s token', async () => {
    const s = await server();
    const client = new ModClient(s.url);
    await client.get('/mod/sign-in');
    expect((await client.post('/mod/sign-in', { name: 'mia', password: 'wrong' })).status).toBe(401);
    expect((await client.post('/mod/sign-in', { name: 'nobody', password: MODERATOR.password })).status).toBe(401);
    const fresh = new ModClient(s.url);
    expect((await fresh.request('/mod/sign-in', { form: { name: 'mia', password: MODERATOR.password } })).status).toBe(403);
    expect(fresh.cookies.has('tabcall_mod')).toBe(false);
  });

  it('slows brute force per name: after the allowed failures even the right password waits', async () => {
    const s = await server({ MOD_SIGNIN_POINTS: 3 });
    const client = new ModClient(s.url);
    await client.get('/mod/sign-in');
    for (let i = 0; i < 3; i++) expect((await client.post('/mod/sign-in', { name: 'mia', password: `guess${i}` })).status).toBe(401);
    const blocked = await client.post('/mod/sign-in', { name: 'mia', password: MODERATOR.password });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.body).toContain('Too many attempts');
    expect(client.cookies.has('tabcall_mod')).toBe(false);
  });

  it('slows brute force per address across names', async () => {
    const s = await server({ MOD_SIGNIN_POINTS: 2, RATE_ADDRESS_FACTOR: 2 });
    const client = new ModClient(s.url);
    await client.get('/mod/sign-in');
    // Four failures from one address, never more than two per name.
    for (const name of ['a', 'a', 'b', 'b']) expect((await client.post('/mod/sign-in', { name, password: 'x' })).status).toBe(401);
    expect((await client.post('/mod/sign-in', { name: 'mia', password: MODERATOR.password })).status).toBe(429);
  });
});

describe('nothing in the console without a valid session', () => {
  const routes = (reportId: string, installId: string) => ({
    get: ['/mod', '/mod/', '/mod/appeals', '/mod/audit', `/mod/people/${installId}`, '/mod/no-such-page'],
    post: [`/mod/reports/${reportId}/dismiss`, `/mod/reports/${reportId}/uphold`, `/mod/people/${installId}/ban`, `/mod/people/${installId}/lift`, '/mod/sign-out'],
  });

  async function expectLockedOut(s: TestServer, cookie: string | undefined) {
    const { reportedId, report } = await reported(s, 'nudity');
    const headers: Record<string, string> = cookie ? { cookie } : {};
    const { get, post } = routes(report.id, reportedId);
    for (const path of get) {
      const res = await http(s.url + path, { headers });
      expect(res.status, path).toBe(303);
      expect(res.headers.location, path).toBe('/mod/sign-in');
      expect(res.body).not.toContain(reportedId);
    }
    for (const path of post) {
      const res = await http(s.url + path, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ length: 'forever', reason: 'spam', _csrf: 'x' }).toString(),
      });
      expect(res.status, path).toBe(401);
    }
    // Nothing happened.
    expect((await s.store.findReport(report.id))!.status).toBe('open');
    expect(await s.store.bansOf(reportedId)).toEqual([]);
    expect(await s.store.auditLog(10)).toEqual([]);
  }

  it('without a cookie', async () => {
    await expectLockedOut(await server(), undefined);
  });

  it('with forged cookies: made up, unsigned, or with the signature tampered', async () => {
    const s = await server();
    const real = (await signedIn(s)).cookies.get('tabcall_mod')!;
    const sessionId = decodeURIComponent(real).slice(2).split('.')[0]!;
    const signature = decodeURIComponent(real).split('.')[1]!;
    const tampered = `s:${sessionId}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    for (const forged of [`s:${randomUUID()}.bogus`, sessionId, encodeURIComponent(tampered), `s:${'x'.repeat(43)}.${signature}`]) {
      await expectLockedOut(s, `tabcall_mod=${forged}`);
    }
  });

  it('with an expired session', async () => {
    const s = await server({ MOD_SESSION_TTL_S: 1 });
    const client = await signedIn(s);
    expect((await client.get('/mod')).status).toBe(200);
    await sleep(1100);
    await expectLockedOut(s, client.cookieHeader);
  });

  it('after signing out, the old cookie is dead', async () => {
    const s = await server();
    const client = await signedIn(s);
    const old = client.cookieHeader;
    const res = await client.post('/mod/sign-out');
    expect(res.status).toBe(303);
    expect(client.cookies.has('tabcall_mod')).toBe(false);
    await expectLockedOut(s, old);
  });
});

describe('CSRF', () => {
  it('refuses every action with a missing or wrong token, and does it with the right one', async () => {
    const s = await server();
    const client = await signedIn(s);
    const { reportedId, report } = await reported(s);
    const actions: Array<[string, Record<string, string>]> = [
      [`/mod/reports/${report.id}/dismiss`, {}],
      [`/mod/reports/${report.id}/uphold`, {}],
      [`/mod/people/${reportedId}/ban`, { length: '3600', reason: 'spam' }],
      [`/mod/people/${reportedId}/lift`, {}],
      ['/mod/sign-out', {}],
    ];
    for (const [path, form] of actions) {
      expect((await client.request(path, { form })).status, `${path} without a token`).toBe(403);
      expect((await client.request(path, { form: { ...form, _csrf: 'wrong' } })).status, `${path} with a wrong token`).toBe(403);
      // Another session's token is wrong too.
      const other = await signedIn(s);
      expect((await client.request(path, { form: { ...form, _csrf: other.csrf! } })).status).toBe(403);
    }
    expect((await s.store.findReport(report.id))!.status).toBe('open');
    expect(await s.store.bansOf(reportedId)).toEqual([]);
    expect((await client.post(`/mod/reports/${report.id}/dismiss`)).status).toBe(303);
    expect((await s.store.findReport(report.id))!.status).toBe('dismissed');
  });
});

describe('the review queue and actions', () => {
  it('puts underage and nudity first, then more distinct reporters, then the most recent', async () => {
    const s = await server();
    const spamTwice = randomUUID();
    await reported(s, 'spam', spamTwice);
    await reported(s, 'spam', spamTwice);
    const { reportedId: spamOnce } = await reported(s, 'spam');
    const { reportedId: nudity } = await reported(s, 'nudity');
    await sleep(5);
    const { reportedId: underage } = await reported(s, 'underage');
    const client = await signedIn(s);
    const page = (await client.get('/mod')).body;
    const order = [...page.matchAll(/<article class="person" data-install-id="([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([underage, nudity, spamTwice, spamOnce]);
  });

  it('shows each report\'s reason, words, time, call length and the reporter\'s standing', async () => {
    const s = await server();
    const reporterId = randomUUID();
    const reportedId = randomUUID();
    const matchId = randomUUID();
    await s.store.recordCall({ matchId, startedAt: new Date(Date.now() - 83_000), endedAt: new Date(), endReason: 'ended', durationMs: 83_000 });
    const earlier = await s.store.addReport({ reporterId, reportedId: randomUUID(), matchId: randomUUID(), reason: 'spam', at: new Date() });
    await s.store.decideReport(earlier.id, 'dismissed', 'noa', new Date());
    await s.store.addReport({ reporterId, reportedId, matchId, reason: 'harassment', details: 'said <script>x</script>', at: new Date(Date.UTC(2026, 10, 25, 21, 4)) });
    const page = (await (await signedIn(s)).get('/mod')).body;
    expect(page).toContain('<b>harassment</b>');
    expect(page).toContain('said &lt;script&gt;x&lt;/script&gt;');
    expect(page).toContain('2026-11-25 21:04 UTC');
    expect(page).toContain('1 min 23 s');
    expect(page).toMatch(/0 upheld<\/span> ·\s*<span class="down">1 dismissed<\/span> ·\s*1 open/);
  });

  it('ban drops the person\'s live connection at once and refuses the reconnect; lift lets them in; all in the audit log', async () => {
    const s = await server();
    const { offerer: target, answerer: other } = await pairUp(s.url);
    sockets.push(target, other);
    const installId = s.server.matchmaker.session(target.id!)!.installId;
    await reported(s, 'harassment', installId);
    const client = await signedIn(s);
    const dropped = new Promise((resolve) => target.once('disconnect', resolve));
    const ended = new Promise((resolve) => other.once('match:ended', resolve));
    const res = await client.post(`/mod/people/${installId}/ban`, { length: '86400', reason: 'harassment', back: '/mod' });
    expect(res.status).toBe(303);
    expect(await dropped).toBe('io server disconnect');
    // The stranger is told the call ended, in the same words as any ended call (no word of a ban).
    expect(await ended).toMatchObject({ reason: 'ended' });
    const refusal = await refusedWithBan(s.url, installId);
    expect(refusal).toMatchObject({ message: 'banned', data: { reason: 'harassment', permanent: false, appealed: false } });
    expect(Date.parse((refusal!.data as { until: string }).until) - Date.now()).toBeGreaterThan(86_000_000);

    expect((await client.post(`/mod/people/${installId}/lift`)).status).toBe(303);
    expect(await refusedWithBan(s.url, installId)).toBeUndefined();
    const [ban] = await s.store.bansOf(installId);
    expect(ban).toMatchObject({ by: 'mia', liftedBy: 'mia' }); // lifted, still in the history
    expect((await client.post(`/mod/people/${installId}/lift`)).status).toBe(409);

    const audit = (await client.get('/mod/audit')).body;
    const rows = [...audit.matchAll(/<td><b>(\w+)<\/b>/g)].map((m) => m[1]);
    expect(rows).toEqual(['lift', 'ban']);
    expect(audit).toMatch(/not banned<\/td>\s*<td>banned until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(harassment, offence 1\)/);
    expect(audit).toContain('ban lifted');
  });

  it('a ban while the person is away (connection dropped mid-call) ends the call for the stranger and refuses the return; a lift lets them back at once', async () => {
    const s = await server({ RESUME_GRACE_S: 60 });
    const installId = randomUUID();
    const target = await connectClient(s.url, { installId });
    const other = await connectClient(s.url);
    sockets.push(target, other);
    const found = nextEvent(other, 'match:found');
    await target.emitWithAck('queue:join', {});
    await other.emitWithAck('queue:join', {});
    const { matchId } = await found;
    const away = nextEvent(other, 'partner:away');
    target.close();
    await away;

    const client = await signedIn(s);
    const ended = nextEvent(other, 'match:ended');
    expect((await client.post(`/mod/people/${installId}/ban`, { length: '3600', reason: 'spam' })).status).toBe(303);
    expect(await ended).toEqual({ matchId, reason: 'ended' });
    expect(await refusedWithBan(s.url, installId)).toMatchObject({ message: 'banned', data: { reason: 'spam', permanent: false } });

    expect((await client.post(`/mod/people/${installId}/lift`)).status).toBe(303);
    expect(await refusedWithBan(s.url, installId)).toBeUndefined();
  });

  it('a ban for good says so to the person', async () => {
    const s = await server();
    const installId = randomUUID();
    const client = await signedIn(s);
    await client.post(`/mod/people/${installId}/ban`, { length: 'forever', reason: 'underage' });
    expect(await refusedWithBan(s.url, installId)).toMatchObject({ data: { reason: 'underage', permanent: true } });
    expect((await client.post(`/mod/people/${installId}/ban`, { length: 'soon', reason: 'underage' })).status).toBe(400);
  });

  it('a dismissed report no longer counts toward an automatic ban', async () => {
    const s = await server({ REPORT_BAN_THRESHOLD: 2 });
    const client = await signedIn(s);
    const installId = randomUUID();
    const first = await fileReport(s, { reporterId: randomUUID(), reportedId: installId, matchId: randomUUID(), reason: 'spam', at: new Date() });
    expect(first).toBeUndefined();
    const [report] = await s.store.reportsAgainst(installId);
    await client.post(`/mod/reports/${report!.id}/dismiss`);
    const second = await fileReport(s, { reporterId: randomUUID(), reportedId: installId, matchId: randomUUID(), reason: 'spam', at: new Date() });
    expect(second).toBeUndefined();
    const third = await fileReport(s, { reporterId: randomUUID(), reportedId: installId, matchId: randomUUID(), reason: 'nudity', at: new Date() });
    expect(third).toMatchObject({ by: 'auto', offence: 1 });
  });

  it('a reporter whose reports are mostly dismissed counts half', async () => {
    const s = await server({ REPORT_BAN_THRESHOLD: 2 });
    const serial = randomUUID();
    for (let i = 0; i < 3; i++) {
      const r = await s.store.addReport({ reporterId: serial, reportedId: randomUUID(), matchId: randomUUID(), reason: 'spam', at: new Date() });
      await s.store.decideReport(r.id, 'dismissed', 'mia', new Date());
    }
    const target = randomUUID();
    const report = (reporterId: string) => fileReport(s, { reporterId, reportedId: target, matchId: randomUUID(), reason: 'spam', at: new Date() });
    expect(await report(serial)).toBeUndefined();
    // 0.5 + 1 is not 2 yet…
    expect(await report(randomUUID())).toBeUndefined();
    // …one more ordinary reporter makes 2.5.
    expect(await report(randomUUID())).toMatchObject({ by: 'auto' });
  });
});

describe('appeals', () => {
  const appeal = (url: string, body: unknown, origin?: string) =>
    http(`${url}/api/appeal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(origin && { origin }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }).then((res) => ({ status: res.status, body: JSON.parse(res.body) as Record<string, unknown>, raw: res.body, headers: res.headers }));

  it('takes one appeal per ban in force, with stable error codes, and shows it in the console', async () => {
    const s = await server();
    const installId = randomUUID();
    expect(await appeal(s.url, { installId, text: 'hello' })).toMatchObject({ status: 404, body: { ok: false, error: { code: 'not_banned' } } });
    const client = await signedIn(s);
    await client.post(`/mod/people/${installId}/ban`, { length: '3600', reason: 'spam' });
    for (const bad of [{ installId, text: '' }, { installId: 'nope', text: 'x' }, { installId, text: 'x'.repeat(501) }, { installId, text: 'x', extra: 1 }, 'not json']) {
      expect(await appeal(s.url, bad)).toMatchObject({ status: 400, body: { error: { code: 'invalid_payload' } } });
    }
    expect(await appeal(s.url, { installId, text: 'x' }, 'https://evil.example')).toMatchObject({ status: 403, body: { error: { code: 'origin_refused' } } });
    const ok = await appeal(s.url, { installId, text: 'It was my little brother, sorry.' }, 'http://localhost:5173');
    expect(ok).toMatchObject({ status: 201, body: { ok: true } });
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(ok.raw).not.toContain(installId);
    expect(await appeal(s.url, { installId, text: 'again' })).toMatchObject({ status: 409, body: { error: { code: 'already_appealed' } } });
    expect(await refusedWithBan(s.url, installId)).toMatchObject({ data: { appealed: true } });

    const page = (await client.get('/mod/appeals')).body;
    expect(page).toContain('It was my little brother, sorry.');
    expect(page).toContain(installId);
    expect(page).toContain('Lift ban');
  });

  it('answers the CORS preflight for allowed origins only', async () => {
    const s = await server();
    const preflight = (origin: string) => http(`${s.url}/api/appeal`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const allowed = await preflight('http://127.0.0.1:3000');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-headers']).toBe('Content-Type');
    expect((await preflight('https://evil.example')).status).toBe(403);
  });
});

describe('bad requests', () => {
  it('an oversized form is refused as the client\'s fault, not a server error', async () => {
    const s = await server();
    const client = await signedIn(s);
    const res = await client.post('/mod/people/00000000-0000-4000-8000-000000000000/ban', { length: '3600', reason: 'spam', filler: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(await s.store.auditLog(5)).toEqual([]);
  });
});

describe('install ids', () => {
  it('appear on no public route, only in the console', async () => {
    const s = await server();
    const { reportedId, report } = await reported(s, 'nudity');
    const client = await signedIn(s);
    await client.post(`/mod/people/${reportedId}/ban`, { length: '3600', reason: 'nudity' });
    await http(`${s.url}/api/appeal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ installId: reportedId, text: 'please' }) });
    const ids = [reportedId, report.reporterId];
    const anonymous = new ModClient(s.url);
    for (const path of ['/', '/healthz', '/privacy', '/privacy?lang=fr', '/mod/sign-in', '/mod', '/mod/appeals', '/mod/audit', `/mod/people/${reportedId}`, '/no-such-page']) {
      const res = await anonymous.get(path);
      for (const id of ids) expect(res.body + JSON.stringify(res.headers), path).not.toContain(id);
    }
    const answer = await http(`${s.url}/api/appeal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ installId: reportedId, text: 'again' }) });
    for (const id of ids) expect(answer.body).not.toContain(id);
    // The moderator sees both.
    const page = (await client.get(`/mod/people/${reportedId}`)).body;
    expect(page).toContain(reportedId);
    expect(page).toContain(report.reporterId.slice(0, 8));
  });
});
