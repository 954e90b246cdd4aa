/** The service worker's Socket.IO connection to the Tabcall server. */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/protocol';

export type SignalingSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function openSignaling(serverUrl: string, installId: string): SignalingSocket {
  return io(serverUrl, {
    // A service worker has no XMLHttpRequest: long-polling cannot work there.
    transports: ['websocket'],
    auth: { installId },
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    timeout: 5000,
  });
}
