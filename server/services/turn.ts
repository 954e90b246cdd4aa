/**
 * Time-limited TURN credentials, the TURN REST API scheme that coturn's
 * `use-auth-secret` checks: username `expiry:installId`, password
 * base64(HMAC-SHA1(secret, username)). Nobody but the server knows the secret.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../../shared/protocol';

export interface TurnConfig {
  urls: string[];
  secret: string;
  ttlS: number;
}

export function turnServer(config: TurnConfig, installId: string, nowMs = Date.now()): IceServer {
  const username = `${Math.floor(nowMs / 1000) + config.ttlS}:${installId}`;
  const credential = createHmac('sha1', config.secret).update(username).digest('base64');
  return { urls: config.urls, username, credential };
}
