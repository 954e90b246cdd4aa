/**
 * The thin runner of the call's state machine (call-machine.ts): it feeds the
 * machine events from the person, the socket and the offscreen document, runs
 * the effects the machine returns, persists the state (storage.session, so a
 * restarted worker finds it) and pushes it to views. It decides nothing.
 */
import { BannedInfo, type ReportPayload, type SignalData } from '../../shared/protocol';
import type { CallState, MediaSwitches } from './call-state';
import { canSignal, INITIAL_MACHINE, transition, type Effect, type MachineEvent, type MachineState } from './call-machine';
import { sendMessage, type LiveCall } from './messages';
import { ensureOffscreenDocument, hasOffscreenDocument } from './offscreen';
import { rulesAccepted, rulesAcceptedItem, RULES_VERSION } from './rules';
import { callMachineItem, devicesItem, installIdItem, interestsItem, serverUrlItem } from './settings';
import { Link } from './signaling';
import { SignalOutbox } from './signal-outbox';
import { mark } from './trace';
import { post, type FromOffscreen, type ToOffscreen } from './offscreen-port';

export interface CallControllerDeps {
  /** Called with every new state (views subscribe through it). */
  publish(state: CallState): void;
}

const PERMISSION_PAGE = 'permission.html';
const ACK_TIMEOUT_MS = 5000;

export class CallController {
  #machine: MachineState = INITIAL_MACHINE;
  #restored = false;
  /** Events that arrived before the saved state was read: applied right after it. */
  #early: MachineEvent[] = [];
  #link?: Link;
  /** The live call's port from the offscreen document (offscreen-port.ts), while it holds. */
  #offscreen?: { matchId: string; port: chrome.runtime.Port };
  readonly #outbox = new SignalOutbox();
  readonly ready: Promise<void>;

  constructor(private readonly deps: CallControllerDeps) {
    this.ready = this.#restore();
  }

  /** What views see (the initial state until the saved one is read: never undefined). */
  get state(): CallState {
    return this.#machine.view;
  }

  async start(): Promise<void> {
    mark('worker:command');
    await this.ready;
    this.dispatch({ type: 'start', rulesAccepted: await rulesAccepted() });
  }

  /** "I am 18 or older and accept the rules": remembered with the rules' version, then the start goes on. */
  async acceptRules(): Promise<void> {
    await this.ready;
    await rulesAcceptedItem.setValue({ version: RULES_VERSION, at: Date.now() });
    if (this.state.phase === 'rules') this.dispatch({ type: 'start', rulesAccepted: true });
  }

  async report(reason: ReportPayload['reason'], details?: string): Promise<void> {
    await this.ready;
    this.dispatch({ type: 'report', reason, details });
  }

  async permissionGranted(): Promise<void> {
    await this.ready;
    this.dispatch({ type: 'permission-granted' });
  }

  async next(): Promise<void> {
    mark('worker:command');
    await this.ready;
    this.dispatch({ type: 'next', rulesAccepted: await rulesAccepted() });
  }

  async stop(): Promise<void> {
    await this.ready;
    this.dispatch({ type: 'stop' });
  }

  async retry(): Promise<void> {
    await this.ready;
    this.dispatch({ type: 'retry' });
  }

  async setMedia(media: MediaSwitches): Promise<void> {
    await this.ready;
    this.dispatch({ type: 'local-media', media });
  }

  async sendChat(text: string) {
    await this.ready;
    const { phase, matchId } = this.state;
    if ((phase !== 'matched' && phase !== 'partner-away') || !matchId) return { ok: false as const, reason: 'no_call' as const };
    const id = crypto.randomUUID();
    const at = Date.now();
    const result = await sendMessage('offscreen:chat', { matchId, id, text, at });
    if (result.ok) this.dispatch({ type: 'chat', matchId, line: { id, from: 'me', text, at } });
    return result;
  }

  async typing(): Promise<void> {
    await this.ready;
    const { matchId } = this.state;
    if (matchId) await sendMessage('offscreen:typing', matchId).catch(() => {});
  }

  /** The person picked another camera or microphone (already saved in storage). */
  async devicesChanged() {
    await this.ready;
    if (this.state.phase === 'idle') return { ok: true as const };
    return sendMessage('offscreen:devices', await devicesItem.getValue());
  }

  /** From the offscreen document: a signal for the stranger, sent now or queued until signaling is back. */
  relaySignal(matchId: string, data: SignalData): void {
    if ('description' in data) mark(`worker:${data.description.type}-out`);
    this.#outbox.push(matchId, data);
    this.#flushSignals();
  }

  /** The offscreen document's port for the live call: signals and phases come on it, signals go down it. */
  attachOffscreen(matchId: string, port: chrome.runtime.Port): void {
    const attached = (this.#offscreen = { matchId, port });
    port.onMessage.addListener((message: FromOffscreen) => {
      if (message.type === 'signal') this.relaySignal(message.matchId, message.data);
      else if (message.type === 'phase') this.dispatch({ type: 'rtc', matchId: message.matchId, phase: message.phase, remoteVideo: message.remoteVideo });
    });
    port.onDisconnect.addListener(() => {
      if (this.#offscreen === attached) this.#offscreen = undefined;
    });
  }

  /** Feeds the machine one event; runs what it says. Refused events are logged when they point at a bug or a race. */
  dispatch(event: MachineEvent): void {
    if (!this.#restored && event.type !== 'restored') {
      this.#early.push(event);
      return;
    }
    const outcome = transition(this.#machine, event);
    if ('ignored' in outcome) {
      if (outcome.ignored === 'illegal') console.warn(`call: ignored ${event.type} (${outcome.why})`);
      return;
    }
    const before = this.#machine;
    this.#machine = outcome.state;
    if (outcome.state !== before) {
      void callMachineItem.setValue(outcome.state);
      if (outcome.state.view !== before.view) this.deps.publish(outcome.state.view);
    }
    for (const effect of outcome.effects) this.#run(effect);
  }

  // ---- effects -------------------------------------------------------------------

  #run(effect: Effect): void {
    const { gen } = this.#machine;
    switch (effect.type) {
      case 'open-link':
        return void this.#openLink();
      case 'close-link': {
        const link = this.#link;
        this.#link = undefined;
        this.#outbox.clear();
        return void link?.close(effect.leave);
      }
      case 'reconnect-after':
        return this.#link?.comeBackAfter(effect.ms);
      case 'emit-queue': {
        const { event, matchId } = effect;
        return void this.#emit(event, async (socket) => {
          const payload = event === 'queue:join' ? { interests: await interestsItem.getValue() } : {};
          mark('worker:emit-queue');
          return socket.emitWithAck(event as 'queue:join', payload);
        }).then(
          ({ ack, noAnswer }) => this.dispatch({ type: 'queue-acked', gen, event, matchId, ack, noAnswer }),
        );
      }
      case 'emit-report': {
        const { payload } = effect;
        return void this.#emit('report', (socket) => socket.emitWithAck('report', payload)).then(({ ack, noAnswer }) =>
          this.dispatch({ type: 'report-acked', gen, matchId: payload.matchId, ack, noAnswer }),
        );
      }
      case 'emit-resume': {
        const { matchId, token } = effect;
        return void this.#emit('session:resume', (socket) => socket.emitWithAck('session:resume', { token })).then(({ ack, noAnswer }) =>
          this.dispatch({ type: 'resume-acked', matchId, ack, noAnswer }),
        );
      }
      case 'acquire-media':
        return void this.#acquireMedia().then((result) => this.dispatch({ type: 'media-opened', gen, result }));
      case 'release-media':
        // The camera goes off; the document stays, so the next Start skips creating it.
        return void sendMessage('offscreen:release-media').catch(() => {});
      case 'set-media':
        return void sendMessage('offscreen:media', effect.media).catch(() => {});
      case 'open-permission-tab':
        return void chrome.tabs.create({ url: chrome.runtime.getURL(PERMISSION_PAGE) });
      case 'call': {
        const { session, commonInterests, matchedAt } = effect;
        const { resumeToken, ...target } = session;
        mark('worker:call-sent');
        return void sendMessage('offscreen:call', { target, resumeToken, commonInterests, matchedAt })
          .catch(() => ({ ok: false as const, reason: 'no_media' as const }))
          .then((result) => {
            if (!result.ok) this.dispatch({ type: 'call-failed', matchId: target.matchId });
          });
      }
      case 'keep-token':
        return void sendMessage('offscreen:token', { matchId: effect.matchId, resumeToken: effect.token }).catch(() => {});
      case 'hang-up':
        return void sendMessage('offscreen:hang-up').catch(() => {});
      case 'flush-signals':
        this.#outbox.release();
        return this.#flushSignals();
    }
  }

  /** Sends one acknowledged event on the current socket; says why when there was no answer. */
  async #emit<A>(name: string, send: (socket: Link['socket']) => Promise<A>) {
    const link = this.#link;
    if (!link?.connected) return { ack: undefined, noAnswer: 'offline' as const };
    try {
      return { ack: await send(link.socket.timeout(ACK_TIMEOUT_MS) as unknown as Link['socket']) };
    } catch {
      console.warn(`call: no answer to ${name}`);
      return { ack: undefined, noAnswer: link.connected ? ('timeout' as const) : ('offline' as const) };
    }
  }

  #flushSignals(): void {
    const link = this.#link;
    const matchId = this.#machine.view.matchId;
    if (!link?.connected || !matchId || !canSignal(this.#machine)) return;
    for (const signal of this.#outbox.take(matchId)) {
      link.socket.emit('signal', { matchId, data: signal.data }, (ack) => {
        if (ack.ok || ack.error.code === 'stale_match') return;
        if (ack.error.code === 'partner_away') return this.#outbox.putBack(signal);
        console.warn('signal refused', ack.error);
      });
    }
  }

  async #acquireMedia() {
    try {
      await ensureOffscreenDocument();
      return await sendMessage('offscreen:acquire-media', { devices: await devicesItem.getValue(), media: this.state.localMedia });
    } catch (error) {
      console.error('offscreen document failed', error);
      return { ok: false as const, failure: 'other' as const };
    }
  }

  async #openLink(): Promise<void> {
    if (this.#link) return;
    const [url, installId] = await Promise.all([serverUrlItem.getValue(), installIdItem.getValue()]);
    if (this.#link || this.state.link === 'offline') return; // opened meanwhile, or stopped
    const link: Link = new Link(url, installId, {
      up: () => this.dispatch({ type: 'link-up' }),
      down: () => this.dispatch({ type: 'link-down' }),
      connectError: (error) => {
        const banned = error.message === 'banned' ? BannedInfo.safeParse(error.data) : undefined;
        this.dispatch(banned?.success ? { type: 'banned', ban: banned.data } : { type: 'link-down' });
      },
      stats: (stats) => this.dispatch({ type: 'stats', stats }),
      'match:found': (match) => {
        mark('worker:match-found');
        this.dispatch({ type: 'match-found', match, at: Date.now() });
        mark('worker:published');
      },
      'match:ended': ({ matchId, reason }) => this.dispatch({ type: 'match-ended', matchId, reason }),
      'partner:away': ({ matchId }) => this.dispatch({ type: 'partner-away', matchId }),
      'partner:back': ({ matchId }) => this.dispatch({ type: 'partner-back', matchId }),
      'server:closing': ({ reconnectAfterMs }) => this.dispatch({ type: 'server-closing', reconnectAfterMs }),
      signal: ({ matchId, data }) => {
        if ('description' in data) mark(`worker:${data.description.type}-in`);
        if (matchId !== this.state.matchId) return;
        const port = this.#offscreen?.matchId === matchId ? this.#offscreen.port : undefined;
        if (!post<ToOffscreen>(port, { type: 'signal', matchId, data })) void sendMessage('offscreen:signal', { matchId, data }).catch(() => {});
      },
    });
    this.#link = link;
  }

  /** A (re)started worker: the saved state, and the call the offscreen document may still hold. */
  async #restore(): Promise<void> {
    const saved = await callMachineItem.getValue().catch(() => undefined);
    let live: LiveCall | null = null;
    if (saved && saved.view.phase !== 'idle' && (await hasOffscreenDocument().catch(() => false))) {
      live = await sendMessage('offscreen:live-call').catch(() => null);
    }
    this.#restored = true;
    this.dispatch({ type: 'restored', saved: saved ?? undefined, live });
    for (const event of this.#early.splice(0)) this.dispatch(event);
  }
}
