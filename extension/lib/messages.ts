/**
 * Typed one-shot messages between the extension's own contexts (views,
 * background, offscreen document, permission page), one map for all. Each
 * message has exactly one receiving context; handlers check that the sender is
 * this extension.
 */
import { defineExtensionMessaging, type ExtensionMessage } from '@webext-core/messaging';
import type { IceServer, MatchFound, ReportPayload, SignalData } from '../../shared/protocol';
import type { ChatLine, MediaFailure, MediaSwitches, RtcPhase } from './call-state';

export interface CallTarget {
  matchId: string;
  polite: boolean;
  role: MatchFound['role'];
  iceServers: IceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
}

/** Chosen devices (deviceId), remembered in storage.local; undefined = the system default. */
export interface DeviceChoice {
  cameraId?: string;
  micId?: string;
}

/**
 * The call as the offscreen document holds it: what a restarted worker needs to show the same
 * call again and take it back on the server (session:resume with the token).
 */
export interface LiveCall {
  target: CallTarget;
  resumeToken: string;
  commonInterests: string[];
  matchedAt: number;
  chat: ChatLine[];
  localMedia: MediaSwitches;
  remoteMedia: MediaSwitches;
  rtc: RtcPhase;
  remoteVideo: boolean;
}

/** Setting up a call needs the camera stream the offscreen document opened for this search. */
export type CallResult = { ok: true } | { ok: false; reason: 'no_media' };

export type MediaResult = { ok: true } | { ok: false; failure: MediaFailure };
export type SendResult = { ok: true } | { ok: false; reason: 'channel_not_open' | 'no_call' };

export interface ProtocolMap {
  // views → background
  'call:start'(): void;
  'call:next'(): void;
  'call:stop'(): void;
  'call:retry'(): void;
  'call:report'(report: { reason: ReportPayload['reason']; details?: string }): void;
  /** The report dialog closed after a report that did not go through. */
  'call:report-dismissed'(): void;
  'rules:accept'(): void;
  'chat:send'(text: string): SendResult;
  'chat:typing'(): void;
  'media:set'(media: MediaSwitches): void;
  'media:devices'(): MediaResult;
  // permission page → background
  'permission:granted'(): void;
  // offscreen → background
  'rtc:signal'(signal: { matchId: string; data: SignalData }): void;
  'rtc:phase'(update: { matchId: string; phase: RtcPhase; remoteVideo: boolean }): void;
  'chat:received'(message: { matchId: string; id: string; text: string; at: number }): void;
  'chat:delivered'(receipt: { matchId: string; id: string }): void;
  'peer:typing'(notice: { matchId: string }): void;
  'peer:media'(notice: { matchId: string; media: MediaSwitches }): void;
  // background → offscreen
  'offscreen:acquire-media'(options: { devices: DeviceChoice; media: MediaSwitches }): MediaResult;
  /** Switch to other devices mid-call (re-opens the tracks, swaps them into the call). */
  'offscreen:devices'(devices: DeviceChoice): MediaResult;
  'offscreen:media'(media: MediaSwitches): void;
  'offscreen:typing'(matchId: string): void;
  'offscreen:release-media'(): void;
  'offscreen:call'(call: { target: CallTarget; resumeToken: string; commonInterests: string[]; matchedAt: number }): CallResult;
  /** A fresh resume token (each resume returns one): kept with the call. */
  'offscreen:token'(update: { matchId: string; resumeToken: string }): void;
  /** Asked by a (re)started worker: the call still alive here, if any. */
  'offscreen:live-call'(): LiveCall | null;
  'offscreen:signal'(signal: { matchId: string; data: SignalData }): void;
  'offscreen:hang-up'(): void;
  'offscreen:chat'(message: { matchId: string; id: string; text: string; at: number }): SendResult;
  // view → offscreen: the fallback video bridge (see rtc/view-bridge.ts)
  'bridge:open'(offer: { bridgeId: string; sdp: string }): { sdp: string };
  'bridge:close'(bridgeId: string): void;
}

export const { sendMessage, onMessage } = defineExtensionMessaging<ProtocolMap>();

/** Like onMessage, but ignores anything not sent by this extension's own pages and worker. */
export const onOwnMessage: typeof onMessage = (type, handler) =>
  onMessage(type, (message: Parameters<typeof handler>[0] & ExtensionMessage) =>
    message.sender.id === chrome.runtime.id ? handler(message) : undefined,
  );
