/**
 * The Port the offscreen document holds to the worker while a call is live
 * (it also wakes a stopped worker: see offscreen/main.ts). The call's hot
 * messages — signals both ways and the connection's phase — travel on it
 * instead of one-shot runtime messages, each of which opens and closes a
 * channel of its own. Whoever finds the Port gone falls back to the one-shot
 * messages of messages.ts, which also wake the worker.
 */
import type { SignalData } from '../../shared/protocol';
import type { RtcPhase } from './call-state';

/** The port's name is `offscreen-call:<matchId>`: a port is about one call, never the next one. */
export const OFFSCREEN_PORT = 'offscreen-call';
export const offscreenPortName = (matchId: string) => `${OFFSCREEN_PORT}:${matchId}`;
export const portMatchId = (name: string) => (name.startsWith(`${OFFSCREEN_PORT}:`) ? name.slice(OFFSCREEN_PORT.length + 1) : undefined);

/** Offscreen document → worker. */
export type FromOffscreen =
  | { type: 'signal'; matchId: string; data: SignalData }
  | { type: 'phase'; matchId: string; phase: RtcPhase; remoteVideo: boolean };

/** Worker → offscreen document. */
export type ToOffscreen = { type: 'signal'; matchId: string; data: SignalData };

/** Posts on the port; false when it is gone (the caller then uses a one-shot message). */
export function post<M>(port: chrome.runtime.Port | undefined, message: M): boolean {
  if (!port) return false;
  try {
    port.postMessage(message);
    return true;
  } catch {
    return false; // disconnected a moment ago
  }
}
