/**
 * The two ioredis connections a node on Redis needs (commands and scripts;
 * the adapter's subscriptions). No offline queue and a short command timeout:
 * while Redis is down, operations fail at once with `unavailable` instead of
 * piling up, and ioredis reconnects by itself.
 */
import { Redis } from 'ioredis';
import type { RedisClients } from '../app';
import { COMMAND_TIMEOUT_MS } from './redis';

export function openRedis(url: string): RedisClients {
  const options = {
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    // Reconnect quickly and keep trying: a Redis that comes back is used again with no restart.
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
  };
  const client = new Redis(url, options);
  // The subscriber must queue its (re)subscriptions while connecting, and has no command timeout.
  const sub = new Redis(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined });
  // Errors surface on the calls that hit them; the connection events would otherwise be unhandled.
  client.on('error', () => {});
  sub.on('error', () => {});
  return { client, sub };
}

export async function closeRedis({ client, sub }: RedisClients): Promise<void> {
  await Promise.allSettled([client.quit(), sub.quit()]);
}
