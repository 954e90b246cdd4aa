/**
 * /mod: the moderator console, server-rendered (server/views/mod). Every page
 * but the sign-in form needs a session; every POST needs the session's CSRF
 * token (the sign-in form has its own, in a signed cookie of its own).
 */
import { randomBytes } from 'node:crypto';
import cookieParser from 'cookie-parser';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { REPORT_REASONS } from '../../shared/protocol';
import { DECOY_HASH, verifyPassword } from '../moderation/password';
import type { Moderation } from '../moderation/service';
import { ModSessions, randomToken, sameToken, type ModSession } from '../moderation/sessions';
import * as format from '../moderation/format';

export const SESSION_COOKIE = 'tabcall_mod';
const SIGNIN_COOKIE = 'tabcall_mod_signin';

export interface ModRouterOptions {
  moderation: Moderation;
  moderators: ReadonlyArray<{ name: string; hash: string }>;
  sessionTtlMs: number;
  /** Failed sign-ins per name per window; per address, addressFactor times as many. */
  signin: { points: number; windowS: number; addressFactor: number };
}

const InstallId = z.uuid();
const BanForm = z.object({
  length: z.union([z.literal('forever'), z.coerce.number().int().min(60).max(10 * 365 * 86_400)]),
  reason: z.enum(REPORT_REASONS),
});
/** Where an action may send the moderator back to: console pages only (no open redirect). */
const BACK = /^\/mod(\/appeals|\/people\/[0-9a-f-]{36})?$/;
const BAN_LENGTHS = [
  { value: 3600, label: '1 hour' },
  { value: 86_400, label: '1 day' },
  { value: 7 * 86_400, label: '7 days' },
  { value: 30 * 86_400, label: '30 days' },
  { value: 'forever', label: 'For good' },
];

const isLocal = (hostname: string) => ['localhost', '127.0.0.1', '::1', '[::1]'].includes(hostname);

interface WithSession extends Request {
  session?: ModSession;
}

export function modRouter(options: ModRouterOptions): Router {
  const { moderation } = options;
  const sessions = new ModSessions(options.sessionTtlMs);
  const accounts = new Map(options.moderators.map((m) => [m.name, m.hash]));
  const limits = {
    name: new RateLimiterMemory({ points: options.signin.points, duration: options.signin.windowS, keyPrefix: 'mod-name' }),
    address: new RateLimiterMemory({ points: options.signin.points * options.signin.addressFactor, duration: options.signin.windowS, keyPrefix: 'mod-addr' }),
  };
  const router = Router();

  // The signing key lives only in this process, like the sessions it protects.
  router.use(cookieParser(randomBytes(32).toString('hex')));
  router.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }));
  router.use((_req, res, next) => {
    res.set({
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    });
    res.locals.format = format;
    next();
  });

  const cookieOptions = (req: Request, maxAge: number) =>
    ({ signed: true, httpOnly: true, sameSite: 'strict', secure: !isLocal(req.hostname), path: '/mod', maxAge }) as const;

  function renderSignIn(req: Request, res: Response, status: number, error?: string) {
    const csrf = randomToken();
    res.cookie(SIGNIN_COOKIE, csrf, cookieOptions(req, 30 * 60_000));
    res.status(status).render('mod/sign-in', { csrf, error });
  }

  const sessionOf = (req: Request) => sessions.get((req.signedCookies as Record<string, unknown>)[SESSION_COOKIE]);

  router.get('/sign-in', (req, res) => {
    if (sessionOf(req)) return res.redirect(303, '/mod');
    renderSignIn(req, res, 200);
  });

  router.post('/sign-in', async (req, res, next) => {
    try {
      const body = req.body as Record<string, unknown>;
      if (!sameToken(String((req.signedCookies as Record<string, unknown>)[SIGNIN_COOKIE] ?? ''), body._csrf) || !body._csrf) {
        return void res.status(403).type('text').send('The form expired: reload the sign-in page.');
      }
      const name = typeof body.name === 'string' && body.name ? body.name.slice(0, 40) : '(none)';
      const password = typeof body.password === 'string' ? body.password.slice(0, 200) : '';
      const address = req.ip ?? 'unknown';
      const [byName, byAddress] = await Promise.all([limits.name.get(name), limits.address.get(address)]);
      const blocked = [byName, byAddress].find((r, i) => r && r.consumedPoints >= (i === 0 ? limits.name.points : limits.address.points));
      if (blocked) {
        res.set('Retry-After', String(Math.ceil(blocked.msBeforeNext / 1000)));
        return renderSignIn(req, res, 429, `Too many attempts. Try again in ${Math.ceil(blocked.msBeforeNext / 60_000)} min.`);
      }
      const hash = accounts.get(name);
      const ok = (await verifyPassword(password, hash ?? DECOY_HASH)) && hash !== undefined;
      if (!ok) {
        await Promise.all([limits.name.penalty(name, 1), limits.address.penalty(address, 1)]);
        return renderSignIn(req, res, 401, 'Wrong name or password.');
      }
      const session = sessions.create(name);
      res.clearCookie(SIGNIN_COOKIE, { path: '/mod' });
      res.cookie(SESSION_COOKIE, session.id, cookieOptions(req, options.sessionTtlMs));
      res.redirect(303, '/mod');
    } catch (error) {
      next(error instanceof RateLimiterRes ? new Error('rate limiter refused') : error);
    }
  });

  // ---- everything below needs a session --------------------------------------

  router.use((req: WithSession, res, next) => {
    const session = sessionOf(req);
    if (!session) {
      if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, '/mod/sign-in');
      return void res.status(401).type('text').send('Sign in first.');
    }
    req.session = session;
    res.locals.moderator = session.name;
    res.locals.csrf = session.csrf;
    next();
  });

  router.use((req: WithSession, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && !sameToken(req.session!.csrf, (req.body as Record<string, unknown>)._csrf)) {
      return void res.status(403).type('text').send('Missing or wrong CSRF token: reload the page and try again.');
    }
    next();
  });

  const back = (req: Request, fallback: string) => {
    const target = (req.body as Record<string, unknown>).back;
    return typeof target === 'string' && BACK.test(target) ? target : fallback;
  };
  const wrap = (handler: (req: WithSession, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    handler(req, res).catch(next);
  const notFound = (res: Response) => void res.status(404).render('mod/not-found');

  router.get('/', wrap(async (_req, res) => {
    const [queue, appeals] = await Promise.all([moderation.queue(), moderation.appeals()]);
    res.render('mod/queue', { queue, pendingAppeals: appeals.filter((a) => a.pending).length, lengths: BAN_LENGTHS, reasons: REPORT_REASONS, page: 'queue' });
  }));

  router.get('/appeals', wrap(async (_req, res) => {
    res.render('mod/appeals', { appeals: await moderation.appeals(), page: 'appeals' });
  }));

  router.get('/audit', wrap(async (_req, res) => {
    res.render('mod/audit', { entries: await moderation.audit(), page: 'audit' });
  }));

  router.get('/people/:installId', wrap(async (req, res) => {
    const installId = InstallId.safeParse(req.params.installId);
    if (!installId.success) return notFound(res);
    const person = await moderation.person(installId.data);
    res.render('mod/person', { person, lengths: BAN_LENGTHS, reasons: REPORT_REASONS, page: 'person' });
  }));

  for (const [action, status] of [['dismiss', 'dismissed'], ['uphold', 'upheld']] as const) {
    router.post(`/reports/:reportId/${action}`, wrap(async (req, res) => {
      const id = z.uuid().safeParse(req.params.reportId);
      const result = id.success ? await moderation.decide(req.session!.name, id.data, status) : { ok: false };
      if (!result.ok) return notFound(res);
      res.redirect(303, back(req, '/mod'));
    }));
  }

  router.post('/people/:installId/ban', wrap(async (req, res) => {
    const installId = InstallId.safeParse(req.params.installId);
    const form = BanForm.safeParse(req.body);
    if (!installId.success) return notFound(res);
    if (!form.success) return void res.status(400).type('text').send('Choose a length and a reason.');
    const { length, reason } = form.data;
    await moderation.ban(req.session!.name, installId.data, length === 'forever' ? 'forever' : { seconds: length }, reason);
    res.redirect(303, back(req, '/mod'));
  }));

  router.post('/people/:installId/lift', wrap(async (req, res) => {
    const installId = InstallId.safeParse(req.params.installId);
    if (!installId.success) return notFound(res);
    const result = await moderation.lift(req.session!.name, installId.data);
    if (!result.ok) return void res.status(409).type('text').send('This person is not banned.');
    res.redirect(303, back(req, '/mod'));
  }));

  router.post('/sign-out', (req: WithSession, res) => {
    sessions.destroy(req.session!.id);
    res.clearCookie(SESSION_COOKIE, { path: '/mod' });
    res.redirect(303, '/mod/sign-in');
  });

  router.use((_req, res) => notFound(res));
  return router;
}
