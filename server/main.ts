/** Entry point: `npm run server`. Reads config, opens the store, listens, closes cleanly on SIGTERM/SIGINT. */
import { createTabcallServer } from './app';
import { ConfigError, loadConfig } from './config';
import { RedisLiveState } from './live/redis';
import { openRedis } from './live/redis-clients';
import { createLogger } from './logger';
import { openStore } from './store';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  const log = createLogger(config.LOG_LEVEL);
  const store = openStore(config.MONGODB_URI, log);
  const redis = config.REDIS_URL ? openRedis(config.REDIS_URL) : undefined;
  const server = createTabcallServer(config, { store, log, redis });
  if (server.live instanceof RedisLiveState) await server.live.beat();
  const port = await server.listen(config.PORT, config.HOST);
  if (redis) {
    // The URL may carry a password: say where, not how.
    log.info({ live: 'redis' }, `live state: on Redis at ${new URL(config.REDIS_URL!).host}, shared by every Tabcall process using it (node ${(server.live as RedisLiveState).nodeId})`);
  } else {
    log.info({ live: 'memory' }, 'live state: in memory (one process)');
  }
  if (config.TURN_SECRET) {
    log.info({ turn: config.TURN_URLS }, 'Calls are relay-only through TURN: strangers never see each other\'s IP address.');
  } else {
    log.warn('No TURN server configured (TURN_URLS, TURN_SECRET): peers connect directly and can see each other\'s IP address.');
  }
  if (!config.RESUME_SECRET) {
    log.warn('No RESUME_SECRET set: resume tokens are sealed with a built-in development secret anyone can read. Set your own in production.');
  }
  log.info({ port, store: store.kind }, `Tabcall server listening on http://localhost:${port} (store: ${store.kind})`);

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down: telling clients to reconnect; calls go on');
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'unclean shutdown');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  console.error('Tabcall server failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
