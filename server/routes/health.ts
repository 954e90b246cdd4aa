import { Router } from 'express';
import type { Matchmaker } from '../services/matchmaker';
import type { StoreKind } from '../store';

/** GET /healthz: liveness plus the live counts, for probes and the landing page. */
export function healthRouter(deps: { matchmaker: Matchmaker; storeKind: StoreKind; startedAt: number }): Router {
  return Router().get('/healthz', (_req, res) => {
    const { online, waiting, inCalls } = deps.matchmaker.stats();
    res.json({
      status: 'ok',
      store: deps.storeKind,
      uptimeS: Math.round((Date.now() - deps.startedAt) / 1000),
      online,
      waiting,
      inCalls,
    });
  });
}
