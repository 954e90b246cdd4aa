/** Benchmark child: the real Tabcall server on a free port (silent logs, memory store, no rate limits in the way). */
import pino from 'pino';
import { createTabcallServer } from '../../server/app';
import { parseConfig } from '../../server/config';
import { MemoryStore } from '../../server/store/memory-store';
import { serveBenchChild } from './child.mjs';

const config = parseConfig({
  ICE_SERVERS: '[]',
  INTEREST_WAIT_MS: '60000',
  RATE_QUEUE_POINTS: '10000',
  RATE_SIGNAL_POINTS: '100000',
  // Every benchmark client connects from 127.0.0.1; the default cap (50 per address) would refuse them.
  MAX_CONNECTIONS_PER_ADDRESS: '100000',
});
const server = createTabcallServer(config, { store: new MemoryStore(), log: pino({ level: 'silent' }) });
serveBenchChild(() => server.listen(0, '127.0.0.1'));
