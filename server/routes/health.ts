import { Router } from 'express';
import type { LiveState } from '../live/types';
import type { StoreKind } from '../store';
import type { WriteQueue } from '../services/write-queue';

/** GET /healthz: liveness plus the live counts, for probes and the landing page. 503 while the live state does not answer. */
export function healthRouter(deps: { live: LiveState; storeKind: StoreKind; writes: WriteQueue; startedAt: number; connections: () => number }): Router {
  return Router().get('/healthz', async (_req, res) => {
    const { pending, lost } = deps.writes.stats();
    const base = { store: deps.storeKind, live: deps.live.kind, uptimeS: Math.round((Date.now() - deps.startedAt) / 1000), storeQueue: { pending, lost }, connectionsHere: deps.connections() };
    try {
      const { online, waiting, inCalls, away } = await deps.live.stats();
      res.json({ status: 'ok', ...base, online, waiting, inCalls, away });
    } catch {
      res.status(503).json({ status: 'degraded', ...base });
    }
  });
}
