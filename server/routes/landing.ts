import { Router } from 'express';
import type { Matchmaker } from '../services/matchmaker';

/** GET /: what Tabcall is, how to install it, live counts (server/views/index.ejs). */
export function landingRouter(deps: { matchmaker: Matchmaker }): Router {
  return Router().get('/', (_req, res) => {
    res.render('index', { stats: deps.matchmaker.stats() });
  });
}
