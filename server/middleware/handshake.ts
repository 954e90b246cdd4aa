import type { ExtendedError, Socket } from 'socket.io';
import { HandshakeAuth, type BannedInfo } from '../../shared/protocol';
import type { HandshakeError } from '../../shared/errors';
import type { LiveState } from '../live/types';
import type { Safety } from '../services/safety';
import { createOriginCheck } from './origin';

export interface SocketData {
  installId: string;
  /** The hashed address counted against MAX_CONNECTIONS_PER_ADDRESS (released on disconnect). */
  addressKey?: string;
}

const refuse = (code: HandshakeError, data?: BannedInfo): ExtendedError => Object.assign(new Error(code), data && { data });

/**
 * Refuses foreign browser origins, connections without a valid install id,
 * banned installs, and addresses past MAX_CONNECTIONS_PER_ADDRESS. Runs on every connection, recovered ones included
 * (connectionStateRecovery.skipMiddlewares is false).
 */
export function handshakeMiddleware(
  allowedOrigins: readonly string[],
  safety: Safety,
  perAddress: { live: LiveState; cap: number; addressKey: (socket: Socket) => string },
) {
  const originAllowed = createOriginCheck(allowedOrigins);
  return async (socket: Socket, next: (error?: ExtendedError) => void) => {
    if (!originAllowed(socket.handshake.headers.origin)) return next(refuse('origin_refused'));
    const auth = HandshakeAuth.safeParse(socket.handshake.auth);
    if (!auth.success) return next(refuse('invalid_install_id'));
    // Last check: once admitted (blocks loaded), the connection goes ahead.
    const ban = await safety.admit(auth.data.installId);
    if (ban) return next(refuse('banned', await safety.bannedInfo(ban)));
    // Counted across every process; a live state that does not answer admits (and counts nothing).
    const addressKey = perAddress.addressKey(socket);
    const admitted = await perAddress.live.admitAddress(addressKey, perAddress.cap).catch(() => undefined);
    if (admitted === false) return next(refuse('too_many_connections'));
    const data = socket.data as SocketData;
    data.installId = auth.data.installId;
    if (admitted) data.addressKey = addressKey;
    next();
  };
}
