/**
 * The background's call logic: the one place that knows the call's state. It
 * drives the socket, the offscreen document and the permission tab, and
 * every state change goes through `dispatch` (reduce → persist → tell views).
 */
import { BannedInfo, type Ack, type AckBodies, type AckError, type QueueJoinPayload, type ReportPayload, type SignalData } from '../../shared/protocol';
import { reduce, type CallEvent, type CallState, type MediaFailure, type MediaSwitches } from './call-state';
import { sendMessage } from './messages';
import { ensureOffscreenDocument } from './offscreen';
import { rulesAccepted, rulesAcceptedItem, RULES_VERSION } from './rules';
import { callStateItem, devicesItem, installIdItem, interestsItem, serverUrlItem } from './settings';
import { openSignaling, type SignalingSocket } from './signaling';

export interface CallControllerDeps {
  /** Called with every new state (views subscribe through it). */
  publish(state: CallState): void;
}

const PERMISSION_PAGE = 'permission.html';

export class CallController {
  #state!: CallState;
  #socket?: SignalingSocket;
  /** The camera is open for this search: only then may we join the queue. */
  #mediaReady = false;
  /** The join in flight, so a reconnect and a Start never send two. */
  #joining?: Promise<void>;
  #connecting?: Promise<SignalingSocket | undefined>;
  readonly ready: Promise<void>;

  constructor(private readonly deps: CallControllerDeps) {
    this.ready = this.#restore();
  }

  get state(): CallState {
    return this.#state;
  }

  /** Start pressed: the rules first, then the camera (asking in a tab if needed), then the queue. */
  async start(): Promise<void> {
    await this.ready;
    if (this.#state.phase === 'waiting' || this.#state.phase === 'matched') return;
    // Nothing touches the camera before the person has accepted the current rules.
    if (!(await rulesAccepted())) return this.#dispatch({ type: 'needs-rules' });
    this.#dispatch({ type: 'start' });
    // The server connection opens while the camera does: neither waits for the other.
    void this.#connect();
    const media = await this.#acquireMedia();
    if (!media.ok) {
      this.#closeSocket();
      if (media.failure === 'denied') {
        this.#dispatch({ type: 'needs-permission' });
        await chrome.tabs.create({ url: chrome.runtime.getURL(PERMISSION_PAGE) });
      } else {
        this.#dispatch({ type: 'problem', problem: { kind: 'media', failure: media.failure } });
      }
      return;
    }
    await this.#join();
  }

  /** "I am 18 or older and accept the rules": remembered with the rules' version, then the start goes on. */
  async acceptRules(): Promise<void> {
    await this.ready;
    await rulesAcceptedItem.setValue({ version: RULES_VERSION, at: Date.now() });
    if (this.#state.phase === 'rules') await this.start();
  }

  /** Report the stranger: the call ends for both at once, they are blocked, and the search goes on. */
  async report(reason: ReportPayload['reason'], details?: string): Promise<void> {
    await this.ready;
    const matchId = this.#state.matchId;
    if (this.#state.phase !== 'matched' || !matchId || !this.#socket?.connected) return;
    const payload: ReportPayload = details?.trim() ? { matchId, reason, details: details.trim() } : { matchId, reason };
    const ack = await this.#socket.timeout(5000).emitWithAck('report', payload).catch(() => undefined);
    if (!ack) return;
    if (!ack.ok) return this.#refused(ack);
    this.#leftCall(matchId, { type: 'reported' });
  }

  /** The permission page got access: carry on with the start the person asked for. */
  async permissionGranted(): Promise<void> {
    await this.ready;
    if (this.#state.phase === 'permission') await this.start();
  }

  async next(): Promise<void> {
    await this.ready;
    const { phase, matchId } = this.#state;
    if (phase === 'idle' || phase === 'permission') return this.start();
    if (phase !== 'matched' && phase !== 'partner-left') return;
    const ack = await this.#emit('queue:next', {});
    if (!ack) return; // offline: the disconnect handler says so
    if (!ack.ok) return this.#refused(ack); // refused (too fast): the call goes on
    this.#leftCall(matchId, { type: 'queued', stats: ack.stats });
  }

  async stop(): Promise<void> {
    await this.ready;
    const socket = this.#socket;
    this.#socket = undefined;
    this.#mediaReady = false;
    this.#dispatch({ type: 'stopped' });
    if (socket?.connected) await socket.timeout(2000).emitWithAck('queue:leave', {}).catch(() => {});
    socket?.disconnect();
    // The camera goes off now; the document stays, so the next Start skips creating it.
    await sendMessage('offscreen:release-media').catch(() => {});
  }

  /** Retry pressed after an error: start over. */
  async retry(): Promise<void> {
    await this.ready;
    this.#closeSocket();
    await this.start();
  }

  async sendChat(text: string) {
    await this.ready;
    const matchId = this.#state.matchId;
    if (this.#state.phase !== 'matched' || !matchId) return { ok: false as const, reason: 'no_call' as const };
    const id = crypto.randomUUID();
    const result = await sendMessage('offscreen:chat', { matchId, id, text });
    if (result.ok) this.#dispatch({ type: 'chat', matchId, line: { id, from: 'me', text, at: Date.now() } });
    return result;
  }

  async typing(): Promise<void> {
    await this.ready;
    if (this.#state.phase === 'matched' && this.#state.matchId) await sendMessage('offscreen:typing', this.#state.matchId).catch(() => {});
  }

  /** Mute / camera off, kept across strangers until Stop. */
  async setMedia(media: MediaSwitches): Promise<void> {
    await this.ready;
    this.#dispatch({ type: 'local-media', media });
    if (this.#state.phase !== 'idle') await sendMessage('offscreen:media', media).catch(() => {});
  }

  /** The person picked another camera or microphone (already saved in storage). */
  async devicesChanged() {
    await this.ready;
    if (this.#state.phase === 'idle') return { ok: true as const };
    return sendMessage('offscreen:devices', await devicesItem.getValue());
  }

  // ---- from the offscreen document -------------------------------------------

  relaySignal(matchId: string, data: SignalData): void {
    if (matchId !== this.#state.matchId) return;
    this.#socket?.emit('signal', { matchId, data }, (ack) => {
      if (!ack.ok && ack.error.code !== 'stale_match') console.warn('signal refused', ack.error);
    });
  }

  dispatchExternal(event: CallEvent): void {
    this.#dispatch(event);
  }

  // ---- internals ---------------------------------------------------------------

  #dispatch(event: CallEvent): void {
    const next = reduce(this.#state, event);
    if (next === this.#state) return;
    this.#state = next;
    void callStateItem.setValue(next);
    this.deps.publish(next);
  }

  async #restore(): Promise<void> {
    this.#state = await callStateItem.getValue();
    // A restarted worker lost its socket, and with it the server's side of any call or search.
    if (this.#state.phase === 'waiting' || this.#state.phase === 'matched' || this.#state.phase === 'connecting') {
      queueMicrotask(() => void this.#resume());
    }
  }

  async #resume(): Promise<void> {
    await sendMessage('offscreen:hang-up').catch(() => {});
    this.#dispatch({ type: 'start' });
    const media = await this.#acquireMedia();
    if (!media.ok) return this.#dispatch({ type: 'problem', problem: { kind: 'media', failure: media.failure } });
    await this.#join();
  }

  async #acquireMedia(): Promise<{ ok: true } | { ok: false; failure: MediaFailure }> {
    this.#mediaReady = false;
    try {
      await ensureOffscreenDocument();
      const result = await sendMessage('offscreen:acquire-media', { devices: await devicesItem.getValue(), media: this.#state.localMedia });
      this.#mediaReady = result.ok;
      return result;
    } catch (error) {
      console.error('offscreen document failed', error);
      return { ok: false, failure: 'other' };
    }
  }

  /**
   * queue:join, once both the camera and the server are there, and never twice
   * at a time. Whichever comes second (this call after the camera, or the
   * socket's 'connect' handler) sends it.
   */
  #join(): Promise<void> {
    this.#joining ??= (async () => {
      const socket = await this.#connect();
      if (!socket?.connected || !this.#mediaReady) return;
      const ack = await this.#emit('queue:join', { interests: await interestsItem.getValue() });
      if (!ack) return;
      if (!ack.ok) return this.#refused(ack);
      if (this.#state.phase === 'connecting') this.#dispatch({ type: 'queued', stats: ack.stats });
    })().finally(() => {
      this.#joining = undefined;
    });
    return this.#joining;
  }

  #closeSocket(): void {
    this.#socket?.disconnect();
    this.#socket = undefined;
  }

  /** queue:join / queue:next (same ack shape); undefined when offline or timed out (the disconnect handler reports it). */
  async #emit(event: 'queue:join' | 'queue:next', payload: QueueJoinPayload): Promise<Ack<AckBodies['queue:join']> | undefined> {
    const socket = this.#socket;
    if (!socket?.connected) return undefined;
    return socket.timeout(5000).emitWithAck(event as 'queue:join', payload).catch(() => undefined);
  }

  /**
   * After the server confirmed we left call `matchId` (Next, report): hang it up
   * and show the search. The server may already have paired us again: its
   * match:found arrives before the ack, and then there is nothing to undo.
   */
  #leftCall(matchId: string | undefined, event: CallEvent): void {
    if (this.#state.matchId !== matchId) return;
    if (matchId) void sendMessage('offscreen:hang-up').catch(() => {});
    this.#dispatch(event);
  }

  #refused({ error }: AckError): void {
    if (error.code === 'rate_limited') {
      return this.#dispatch({ type: 'problem', problem: { kind: 'rate_limited', retryAfterMs: error.retryAfterMs ?? 1000 } });
    }
    this.#dispatch({ type: 'problem', problem: { kind: 'server_error', message: error.message } });
  }

  /** The signaling socket, opened once however many callers race (undefined if the person stopped meanwhile). */
  #connect(): Promise<SignalingSocket | undefined> {
    if (this.#socket) return Promise.resolve(this.#socket);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<SignalingSocket | undefined> {
    const [url, installId] = await Promise.all([serverUrlItem.getValue(), installIdItem.getValue()]);
    if (this.#state.phase === 'idle') return undefined;
    const socket = openSignaling(url, installId);
    this.#socket = socket;

    socket.on('connect', () => {
      this.#dispatch({ type: 'server-reachable' });
      // (Re)connected while the person wants to talk: (re)join; the server forgot us on disconnect.
      if (this.#state.phase === 'connecting' || this.#state.phase === 'waiting') void this.#join();
    });
    socket.on('connect_error', (error: Error & { data?: unknown }) => {
      const banned = error.message === 'banned' ? BannedInfo.safeParse(error.data) : undefined;
      if (!banned?.success) return this.#dispatch({ type: 'problem', problem: { kind: 'server_unreachable' } });
      // Banned: stop knocking, say until when.
      socket.disconnect();
      if (this.#socket === socket) this.#socket = undefined;
      this.#mediaReady = false;
      void sendMessage('offscreen:release-media').catch(() => {});
      this.#dispatch({ type: 'problem', problem: { kind: 'banned', ...banned.data } });
    });
    socket.on('disconnect', (reason) => {
      if (this.#socket !== socket || reason === 'io client disconnect') return;
      // The server closed us on purpose (a ban, most likely): knock once to learn why.
      if (reason === 'io server disconnect') socket.connect();
      if (this.#state.phase === 'matched') void sendMessage('offscreen:hang-up').catch(() => {});
      this.#dispatch({ type: 'problem', problem: { kind: 'server_unreachable' } });
    });
    socket.on('stats', (stats) => this.#dispatch({ type: 'stats', stats }));
    socket.on('match:found', (match) => {
      this.#dispatch({ type: 'matched', matchId: match.matchId, commonInterests: match.commonInterests });
      void sendMessage('offscreen:call', {
        matchId: match.matchId,
        polite: match.polite,
        role: match.role,
        iceServers: match.iceServers,
        iceTransportPolicy: match.iceTransportPolicy,
      });
    });
    socket.on('signal', ({ matchId, data }) => {
      if (matchId === this.#state.matchId) void sendMessage('offscreen:signal', { matchId, data });
    });
    socket.on('match:ended', ({ matchId, reason }) => {
      if (matchId !== this.#state.matchId) return;
      void sendMessage('offscreen:hang-up').catch(() => {});
      this.#dispatch({ type: 'partner-ended', matchId, reason });
    });
    socket.on('server:closing', () => this.#dispatch({ type: 'problem', problem: { kind: 'server_unreachable' } }));
    return socket;
  }
}
