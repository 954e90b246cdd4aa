/**
 * One call with one stranger: an RTCPeerConnection using MDN's "perfect
 * negotiation" (the polite side rolls back on glare), trickle ICE, and a
 * negotiated chat data channel. Lives in the offscreen document.
 */
import type { IceServer, SignalData } from '../../shared/protocol';
import type { RtcPhase } from '../lib/call-state';
import { CHAT_CHANNEL, parsePeerMessage, type PeerMessage } from '../../shared/peer';
import { mark } from '../lib/trace';
import { healIce } from './ice-restart';
import { RemoteCandidates } from './remote-candidates';

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
  /** A connection prepared ahead (preparePeer), with this call's local stream already attached. */
  prepared?: PreparedPeer;
}

/**
 * A peer connection made ahead of the match, while waiting or during the current call: its
 * DTLS certificate generated, our tracks attached and the chat channel set up, so a match only
 * has to hand it the match's ICE servers (setConfiguration, before any gathering) and negotiate.
 */
export interface PreparedPeer {
  pc: RTCPeerConnection;
  stream: MediaStream;
  videoSender?: RTCRtpSender;
  channel: RTCDataChannel;
}

export function preparePeer(stream: MediaStream): PreparedPeer {
  const pc = new RTCPeerConnection();
  let videoSender: RTCRtpSender | undefined;
  for (const track of stream.getTracks()) {
    const sender = pc.addTrack(track, stream);
    if (track.kind === 'video') videoSender = sender;
  }
  // Negotiated with a fixed id on both sides: no ondatachannel race, no extra round trip.
  const channel = pc.createDataChannel(CHAT_CHANNEL.label, { negotiated: true, id: CHAT_CHANNEL.id });
  return { pc, stream, videoSender, channel };
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
  /** The stranger's candidates wait here for their description. */
  readonly #remoteCandidates: RemoteCandidates;

  constructor(private readonly options: PeerCallOptions) {
    const config: RTCConfiguration = { iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy };
    let { prepared } = options;
    try {
      prepared?.pc.setConfiguration(config);
    } catch (error) {
      console.warn('prepared connection refused the configuration', error);
      prepared?.pc.close();
      prepared = options.prepared = undefined;
    }
    this.pc = prepared?.pc ?? new RTCPeerConnection(config);
    const { pc } = this;
    this.#remoteCandidates = new RemoteCandidates((candidate) => pc.addIceCandidate(candidate));
    // A prepared answerer already has its tracks: it must not offer before the stranger's offer
    // (the first exchange never collides); once answered, the browser asks again if it must.
    pc.onnegotiationneeded = () => (this.#joinedIn || options.role === 'offerer') && void this.#offer();
    pc.onicecandidate = ({ candidate: c }) =>
      options.onSignal({
        candidate: c && { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment },
      });
    healIce(pc, { polite: options.polite, signal: this.#closed.signal });
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') mark('offscreen:connected');
      this.#reportPhase();
    };
    pc.addEventListener('iceconnectionstatechange', () => pc.iceConnectionState === 'connected' && mark('offscreen:ice-connected'));
    pc.ontrack = ({ track }) => {
      mark('offscreen:track');
      this.remoteStream.addTrack(track);
      if (track.kind === 'video') {
        track.onunmute = () => {
          mark('offscreen:remote-video');
          this.#setRemoteVideo(true);
        };
        track.onmute = () => this.#setRemoteVideo(false);
      }
      options.onRemoteTracks(this.remoteStream);
    };
    // The offerer sends at once; the answerer joins in when the offer arrives, reusing the
    // offer's transceivers, so the first exchange never collides.
    if (options.role === 'offerer') {
      this.#joinIn();
      // A prepared connection fired negotiationneeded long ago, with nobody listening.
      if (prepared) void this.#offer();
    }
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
    const { localStream, prepared } = this.options;
    let channel: RTCDataChannel;
    if (prepared) {
      this.#videoSender = prepared.videoSender;
      channel = prepared.channel;
    } else {
      for (const track of localStream.getTracks()) {
        const sender = this.pc.addTrack(track, localStream);
        if (track.kind === 'video') this.#videoSender = sender;
      }
      // Negotiated with a fixed id on both sides: no ondatachannel race, no extra round trip.
      channel = this.pc.createDataChannel(CHAT_CHANNEL.label, { negotiated: true, id: CHAT_CHANNEL.id });
    }
    if (this.options.cameraOff) void this.#videoSender?.replaceTrack(null);
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
      mark('offscreen:offer-set');
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
      mark(`offscreen:${description.type === 'offer' ? 'offer' : 'answer'}-received`);
      await pc.setRemoteDescription(description); // rolls back our own offer on glare (polite side)
      mark(`offscreen:remote-${description.type === 'offer' ? 'offer' : 'answer'}-set`);
      this.#settingRemoteAnswer = false;
      await this.#remoteCandidates.described(description.sdp ?? '');
      if (description.type === 'offer') {
        this.#joinIn();
        await pc.setLocalDescription();
        mark('offscreen:answer-set');
        this.#sendDescription();
      }
    } else if (candidate !== undefined) {
      try {
        await this.#remoteCandidates.receive(candidate);
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
