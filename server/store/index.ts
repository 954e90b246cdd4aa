import type { Logger } from 'pino';
import { MemoryStore } from './memory-store';
import { MongooseStore } from './mongoose-store';
import type { Store } from './types';

export type * from './types';
export { StoreUnavailableError, AUTO, FOREVER, inForce } from './types';

/** MongoDB when a URI is given, else the embedded store, saying so in the log. */
export async function openStore(mongodbUri: string | undefined, log: Logger): Promise<Store> {
  if (!mongodbUri) {
    log.warn({ store: 'memory' }, 'Using the embedded in-memory store: call records will not survive a restart. Set MONGODB_URI to keep them.');
    return new MemoryStore();
  }
  const store = await MongooseStore.connect(mongodbUri);
  log.info({ store: 'mongodb' }, 'Connected to MongoDB');
  return store;
}
