import { Router } from 'express';
import type { Matchmaker } from '../services/matchmaker';
import type { StoreKind } from '../store';
import type { WriteQueue } from '../services/write-queue';

/** GET /healthz: liveness plus the live counts, for probes and the landing page. */
export function healthRouter(deps: { matchmaker: Matchmaker; storeKind: StoreKind; writes: WriteQueue; startedAt: number }): Router {
  return Router().get('/healthz', (_req, res) => {
    const { online, waiting, inCalls, away } = deps.matchmaker.stats();
    const { pending, lost } = deps.writes.stats();
    res.json({
      status: 'ok',
      store: deps.storeKind,
      uptimeS: Math.round((Date.now() - deps.startedAt) / 1000),
      online,
      waiting,
      inCalls,
      away,
      storeQueue: { pending, lost },
    });
  });
}
