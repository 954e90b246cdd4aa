/**
 * Benchmark child, the baseline: a bare Socket.IO server with no logic beyond
 * the minimum to compare against: the first two joiners are paired, signals
 * go to the partner. No validation, no rate limits, no interests.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { serveBenchChild } from './child.mjs';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
let waiting: Socket | undefined;
const partner = new Map<string, Socket>();

io.on('connection', (socket) => {
  socket.on('queue:join', (_payload, ack) => {
    ack({ ok: true });
    if (!waiting || waiting === socket) {
      waiting = socket;
      return;
    }
    const other = waiting;
    waiting = undefined;
    partner.set(socket.id, other);
    partner.set(other.id, socket);
    const matchId = `${other.id}:${socket.id}`;
    other.emit('match:found', { matchId, role: 'offerer' });
    socket.emit('match:found', { matchId, role: 'answerer' });
  });
  socket.on('signal', (payload, ack) => {
    partner.get(socket.id)?.emit('signal', payload);
    ack({ ok: true });
  });
  socket.on('disconnect', () => {
    if (waiting === socket) waiting = undefined;
    partner.delete(socket.id);
  });
});

serveBenchChild(
  () =>
    new Promise((resolve) => {
      http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port));
    }),
);
