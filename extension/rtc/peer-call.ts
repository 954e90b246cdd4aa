/**
 * One call with one stranger: an RTCPeerConnection using MDN's "perfect
 * negotiation" (the polite side rolls back on glare), trickle ICE, and a
 * negotiated chat data channel. Lives in the offscreen document.
 */
import type { IceServer, SignalData } from '../../shared/protocol';
import type { RtcPhase } from '../lib/call-state';
import { healIce } from './ice-restart';
import { parsePeerMessage, type PeerMessage } from './peer-messages';

export interface PeerCallOptions {
  matchId: string;
  polite: boolean;
  role: 'offerer' | 'answerer';
  iceServers: IceServer[];
  /** 'relay' when the server hides addresses behind TURN. */
  iceTransportPolicy: RTCIceTransportPolicy;
  localStream: MediaStream;
  onSignal(data: SignalData): void;
  onPhase(phase: RtcPhase, remoteVideo: boolean): void;
  /** A valid message from the stranger over the data channel. */
  onPeerMessage(message: PeerMessage): void;
  /** The data channel opened: a good moment to tell the stranger our camera/mic state. */
  onChannelOpen(): void;
  /** Whether our camera is off when the call starts (the video sender then sends nothing). */
  cameraOff: boolean;
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
  #videoSender?: RTCRtpSender;
  #remoteVideo = false;
  /** Signals are applied one at a time, in arrival order: a candidate must not overtake its offer. */
  #queue: Promise<void> = Promise.resolve();
  /** Ends the ICE watch (and its timer) with the call. */
  readonly #closed = new AbortController();

  constructor(private readonly options: PeerCallOptions) {
    this.pc = new RTCPeerConnection({ iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy });
    const { pc } = this;
    pc.onnegotiationneeded = () => void this.#offer();
    pc.onicecandidate = ({ candidate: c }) =>
      options.onSignal({
        candidate: c && { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment },
      });
    healIce(pc, { polite: options.polite, signal: this.#closed.signal });
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

  /** Sends over the data channel; false while it is not open yet. */
  send(message: PeerMessage): boolean {
    if (this.#channel?.readyState !== 'open') return false;
    this.#channel.send(JSON.stringify(message));
    return true;
  }

  /** Swaps in newly opened tracks (another camera or microphone) without renegotiating. */
  replaceLocalStream(stream: MediaStream): void {
    this.options.localStream = stream;
    for (const sender of this.pc.getSenders()) {
      const kind = sender === this.#videoSender ? 'video' : sender.track?.kind;
      if (kind === 'audio') void sender.replaceTrack(stream.getAudioTracks()[0] ?? null);
    }
    this.setCameraOn(!this.options.cameraOff);
  }

  /** Camera off sends no frames at all (the stranger shows a placeholder); on sends the track again. */
  setCameraOn(on: boolean): void {
    this.options.cameraOff = !on;
    void this.#videoSender?.replaceTrack(on ? (this.options.localStream.getVideoTracks()[0] ?? null) : null);
  }

  close(): void {
    this.#closed.abort();
    this.#channel?.close();
    this.pc.close();
    for (const track of this.remoteStream.getTracks()) track.stop();
  }

  #joinIn(): void {
    if (this.#joinedIn) return;
    this.#joinedIn = true;
    const { localStream } = this.options;
    for (const track of localStream.getTracks()) {
      const sender = this.pc.addTrack(track, localStream);
      if (track.kind === 'video') this.#videoSender = sender;
    }
    if (this.options.cameraOff) void this.#videoSender?.replaceTrack(null);
    // Negotiated with a fixed id on both sides: no ondatachannel race, no extra round trip.
    const channel = this.pc.createDataChannel('chat', { negotiated: true, id: 0 });
    channel.onopen = () => this.options.onChannelOpen();
    channel.onmessage = ({ data }) => {
      const message = parsePeerMessage(data);
      if (message) this.options.onPeerMessage(message);
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
