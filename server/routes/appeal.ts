/**
 * POST /api/appeal: a banned person's appeal, sent by the extension. The body's
 * install id is the only credential (a random UUID nobody else sees); the
 * answer never echoes it. Browser origins follow the same allow-list as the
 * socket, with CORS so the extension's pages may call it.
 */
import express, { Router, type Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { APPEAL_ERRORS, type AppealError } from '../../shared/errors';
import { AppealRequest } from '../../shared/protocol';
import { createOriginCheck } from '../middleware/origin';
import type { Moderation } from '../moderation/service';

const MESSAGES: Record<AppealError, string> = {
  invalid_payload: 'Expected { installId, text } with a text of 1 to 500 characters.',
  origin_refused: 'This origin may not send appeals.',
  not_banned: 'There is no ban in force to appeal.',
  already_appealed: 'This ban has been appealed already.',
  rate_limited: 'Too many appeals from here; try again later.',
};

function fail(res: Response, code: AppealError, retryAfterMs?: number) {
  res.status(APPEAL_ERRORS[code]).json({ ok: false, error: { code, message: MESSAGES[code], ...(retryAfterMs !== undefined && { retryAfterMs }) } });
}

export function appealRouter(deps: { moderation: Moderation; allowedOrigins: readonly string[]; points: number; windowS: number }): Router {
  const originAllowed = createOriginCheck(deps.allowedOrigins);
  const limiter = new RateLimiterMemory({ points: deps.points, duration: deps.windowS, keyPrefix: 'appeal' });
  const router = Router();

  router.use('/api/appeal', (req, res, next) => {
    const origin = req.get('origin');
    if (!originAllowed(origin)) return fail(res, 'origin_refused');
    if (origin) res.set({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin' });
    if (req.method === 'OPTIONS') {
      return void res.set({ 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600' }).sendStatus(204);
    }
    next();
  });

  router.post('/api/appeal', express.json({ limit: '4kb' }), async (req, res, next) => {
    try {
      await limiter.consume(req.ip ?? 'unknown');
    } catch (error) {
      if (error instanceof RateLimiterRes) return fail(res, 'rate_limited', error.msBeforeNext);
      return next(error);
    }
    const body = AppealRequest.safeParse(req.body);
    if (!body.success) return fail(res, 'invalid_payload');
    try {
      const result = await deps.moderation.appeal(body.data.installId, body.data.text);
      if (!result.ok) return fail(res, result.code);
      res.status(201).json({ ok: true });
    } catch (error) {
      next(error);
    }
  });

  // A body that is not JSON at all gets the same stable answer as a wrong one.
  router.use('/api/appeal', ((error, _req, res, next) => {
    if ((error as { type?: string }).type?.startsWith('entity.')) return fail(res, 'invalid_payload');
    next(error);
  }) as express.ErrorRequestHandler);
  return router;
}
