import type { ExtendedError, Socket } from 'socket.io';
import { HandshakeAuth } from '../../shared/protocol';
import type { HandshakeError } from '../../shared/errors';
import { createOriginCheck } from './origin';

export interface SocketData {
  installId: string;
}

const refuse = (code: HandshakeError): ExtendedError => new Error(code);

/** Refuses foreign browser origins and connections without a valid install id. */
export function handshakeMiddleware(allowedOrigins: readonly string[]) {
  const originAllowed = createOriginCheck(allowedOrigins);
  return (socket: Socket, next: (error?: ExtendedError) => void) => {
    if (!originAllowed(socket.handshake.headers.origin)) return next(refuse('origin_refused'));
    const auth = HandshakeAuth.safeParse(socket.handshake.auth);
    if (!auth.success) return next(refuse('invalid_install_id'));
    (socket.data as SocketData).installId = auth.data.installId;
    next();
  };
}
