import type { ExtendedError, Socket } from 'socket.io';
import { HandshakeAuth, type BannedInfo } from '../../shared/protocol';
import type { HandshakeError } from '../../shared/errors';
import type { Safety } from '../services/safety';
import { createOriginCheck } from './origin';

export interface SocketData {
  installId: string;
}

const refuse = (code: HandshakeError, data?: BannedInfo): ExtendedError => Object.assign(new Error(code), data && { data });

/**
 * Refuses foreign browser origins, connections without a valid install id,
 * and banned installs. Runs on every connection, recovered ones included
 * (connectionStateRecovery.skipMiddlewares is false).
 */
export function handshakeMiddleware(allowedOrigins: readonly string[], safety: Safety) {
  const originAllowed = createOriginCheck(allowedOrigins);
  return async (socket: Socket, next: (error?: ExtendedError) => void) => {
    if (!originAllowed(socket.handshake.headers.origin)) return next(refuse('origin_refused'));
    const auth = HandshakeAuth.safeParse(socket.handshake.auth);
    if (!auth.success) return next(refuse('invalid_install_id'));
    // Last check: once admitted (blocks loaded), the connection goes ahead.
    const ban = await safety.admit(auth.data.installId);
    if (ban) return next(refuse('banned', await safety.bannedInfo(ban)));
    (socket.data as SocketData).installId = auth.data.installId;
    next();
  };
}
