import { Router } from 'express';
import type { LiveState } from '../live/types';

/** GET /: what Tabcall is, how to install it, live counts (server/views/index.ejs). */
export function landingRouter(deps: { live: LiveState }): Router {
  return Router().get('/', async (_req, res) => {
    const stats = await deps.live.stats().catch(() => ({ online: 0, waiting: 0, inCalls: 0, away: 0 }));
    res.render('index', { stats });
  });
}
