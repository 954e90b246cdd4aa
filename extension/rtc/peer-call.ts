/**
 * One call with one stranger: an RTCPeerConnection using MDN's "perfect
 * negotiation" (the polite side rolls back on glare), trickle ICE, and a
 * negotiated chat data channel. Lives in the offscreen document.
 */
import type { IceServer, SignalData } from '../../shared/protocol';
import { LIMITS } from '../../shared/limits';
import type { RtcPhase } from '../lib/call-state';

export interface PeerCallOptions {
  matchId: string;
  polite: boolean;
  role: 'offerer' | 'answerer';
  iceServers: IceServer[];
  localStream: MediaStream;
  onSignal(data: SignalData): void;
  onPhase(phase: RtcPhase, remoteVideo: boolean): void;
  onChat(text: string): void;
  /** The remote stream got or lost a track. */
  onRemoteTracks(stream: MediaStream): void;
}

export class PeerCall {
  readonly pc: RTCPeerConnection;
  readonly remoteStream = new MediaStream();
  #channel?: RTCDataChannel;
  #makingOffer = false;
  #ignoreOffer = false;
  #settingRemoteAnswer = false;
  #joinedIn = false;
  #remoteVideo = false;
  /** Signals are applied one at a time, in arrival order: a candidate must not overtake its offer. */
  #queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: PeerCallOptions) {
    this.pc = new RTCPeerConnection({ iceServers: options.iceServers });
    const { pc } = this;
    pc.onnegotiationneeded = () => void this.#offer();
    pc.onicecandidate = ({ candidate }) => options.onSignal({ candidate: candidate ? candidate.toJSON() as never : null });
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'failed') pc.restartIce();
    };
    pc.onconnectionstatechange = () => this.#reportPhase();
    pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      if (track.kind === 'video') {
        track.onunmute = () => this.#setRemoteVideo(true);
        track.onmute = () => this.#setRemoteVideo(false);
      }
      options.onRemoteTracks(this.remoteStream);
    };
    // The offerer sends at once; the answerer joins in when the offer arrives, reusing the
    // offer's transceivers, so the first exchange never collides.
    if (options.role === 'offerer') this.#joinIn();
  }

  get matchId(): string {
    return this.options.matchId;
  }

  handleSignal(data: SignalData): Promise<void> {
    this.#queue = this.#queue.then(() => this.#apply(data)).catch((error: unknown) => console.warn('signal failed', error));
    return this.#queue;
  }

  sendChat(text: string): boolean {
    if (this.#channel?.readyState !== 'open') return false;
    this.#channel.send(JSON.stringify({ type: 'chat', text: text.slice(0, LIMITS.chatMessage) }));
    return true;
  }

  close(): void {
    this.#channel?.close();
    this.pc.close();
    for (const track of this.remoteStream.getTracks()) track.stop();
  }

  #joinIn(): void {
    if (this.#joinedIn) return;
    this.#joinedIn = true;
    for (const track of this.options.localStream.getTracks()) this.pc.addTrack(track, this.options.localStream);
    // Negotiated with a fixed id on both sides: no ondatachannel race, no extra round trip.
    const channel = this.pc.createDataChannel('chat', { negotiated: true, id: 0 });
    channel.onmessage = ({ data }) => {
      if (typeof data !== 'string' || data.length > LIMITS.chatMessage * 4 + 64) return;
      try {
        const message = JSON.parse(data) as { type?: unknown; text?: unknown };
        if (message.type === 'chat' && typeof message.text === 'string' && message.text.trim()) {
          this.options.onChat(message.text.slice(0, LIMITS.chatMessage));
        }
      } catch {
        // Not ours: ignore.
      }
    };
    this.#channel = channel;
  }

  async #offer(): Promise<void> {
    try {
      this.#makingOffer = true;
      await this.pc.setLocalDescription();
      this.#sendDescription();
    } catch (error) {
      console.warn('offer failed', error);
    } finally {
      this.#makingOffer = false;
    }
  }

  async #apply({ description, candidate }: { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit | null }): Promise<void> {
    const { pc } = this;
    if (description) {
      const readyForOffer = !this.#makingOffer && (pc.signalingState === 'stable' || this.#settingRemoteAnswer);
      const collision = description.type === 'offer' && !readyForOffer;
      this.#ignoreOffer = !this.options.polite && collision;
      if (this.#ignoreOffer) return;
      this.#settingRemoteAnswer = description.type === 'answer';
      await pc.setRemoteDescription(description); // rolls back our own offer on glare (polite side)
      this.#settingRemoteAnswer = false;
      if (description.type === 'offer') {
        this.#joinIn();
        await pc.setLocalDescription();
        this.#sendDescription();
      }
    } else if (candidate !== undefined) {
      try {
        await pc.addIceCandidate(candidate ?? undefined);
      } catch (error) {
        if (!this.#ignoreOffer) throw error;
      }
    }
  }

  #sendDescription(): void {
    const local = this.pc.localDescription;
    if (local && (local.type === 'offer' || local.type === 'answer')) this.options.onSignal({ description: { type: local.type, sdp: local.sdp } });
  }

  #setRemoteVideo(on: boolean): void {
    this.#remoteVideo = on;
    this.#reportPhase();
  }

  #reportPhase(): void {
    const state = this.pc.connectionState;
    const phase: RtcPhase = state === 'connected' ? 'connected' : state === 'failed' ? 'failed' : 'connecting';
    this.options.onPhase(phase, this.#remoteVideo);
  }
}
