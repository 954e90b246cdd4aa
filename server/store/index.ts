import type { Logger } from 'pino';
import { MemoryStore } from './memory-store';
import { MongooseStore } from './mongoose-store';
import type { Store } from './types';

export type * from './types';
export { StoreUnavailableError, AUTO, FOREVER, inForce } from './types';

/**
 * MongoDB when a URI is given, else the embedded store, saying so in the log.
 * Never waits for MongoDB: a database that is down at start is retried in
 * the background while pairing and calls go on.
 */
export function openStore(mongodbUri: string | undefined, log: Logger): Store {
  if (!mongodbUri) {
    log.warn({ store: 'memory' }, 'Using the embedded in-memory store: call records will not survive a restart. Set MONGODB_URI to keep them.');
    return new MemoryStore();
  }
  log.info({ store: 'mongodb' }, 'Connecting to MongoDB');
  return MongooseStore.open(mongodbUri, log);
}
