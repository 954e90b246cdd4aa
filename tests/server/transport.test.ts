/**
 * What a client that is not the extension meets at the transport, as
 * docs/protocol.md ("Clients other than the extension") says: websocket only,
 * and no Origin needed from a non-browser client.
 */
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('transport', () => {
  it('answers a long-polling request with HTTP 400 "Transport unknown"', async () => {
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 0, message: 'Transport unknown' });
  });

  it('a polling-first socket.io-client gets connect_error "xhr poll error" (400) and never connects', async () => {
    const socket = io(server.url, { auth: { installId: randomUUID() }, reconnection: false, forceNew: true });
    const error = await new Promise<Error & { type?: string; description?: unknown }>((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected over polling')));
      socket.once('connect_error', resolve);
    });
    socket.close();
    expect(error).toMatchObject({ message: 'xhr poll error', type: 'TransportError', description: 400 });
    expect(server.server.matchmaker.stats().online).toBe(0);
  });

  it('a bare WebSocket client with no Origin header is admitted by the handshake alone', async () => {
    const url = `${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(url); // the ws library sends no Origin unless told to
    const frames: string[] = [];
    const connected = new Promise<string>((resolve, reject) => {
      ws.on('message', (data) => {
        const frame = data.toString();
        frames.push(frame);
        // Engine.IO "open" (0…), then we send Socket.IO CONNECT with auth; the server answers 40{sid} or 44{error}.
        if (frame.startsWith('0')) ws.send(`40${JSON.stringify({ installId: randomUUID() })}`);
        if (frame.startsWith('40') || frame.startsWith('44')) resolve(frame);
      });
      ws.once('error', reject);
    });
    const answer = await connected;
    ws.close();
    expect(answer).toMatch(/^40\{"sid":"[^"]+"/);
  });
});
