/**
 * The offscreen document: owns the camera and microphone, the peer connection
 * and the chat channel, so the call lives on when the popup closes. Views get
 * the streams from `window.tabcall` (same-extension windows via getViews) or
 * through ViewBridges.
 */
import { ALL_ON, type ChatLine, type MediaSwitches, type RtcPhase } from '../../lib/call-state';
import { CHAT_HISTORY } from '../../lib/call-machine';
import { onOwnMessage as handle, sendMessage, type LiveCall } from '../../lib/messages';
import { classifyMediaError, LocalMedia } from '../../rtc/media';
import type { OffscreenMedia } from '../../rtc/offscreen-media';
import { PeerCall } from '../../rtc/peer-call';
import type { PeerMessage } from '../../rtc/peer-messages';
import { ViewBridges } from '../../rtc/view-bridge';

const media = new LocalMedia();
const bridges = new ViewBridges();
const remoteAudio = document.getElementById('remote-audio') as HTMLAudioElement;
let call: PeerCall | undefined;
let switches: MediaSwitches = { camera: true, mic: true };
/**
 * The call as a restarted service worker needs it to show the same call again and resume it on
 * the server: the peer connection lives here, so this is where the call survives a worker.
 */
let live: (Omit<LiveCall, 'localMedia'> & { wake?: chrome.runtime.Port }) | undefined;

/** Records a chat line of the live call (the worker keeps its own copy for views). */
function remember(matchId: string, line: ChatLine): void {
  if (live?.target.matchId !== matchId) return;
  live.chat = [...live.chat, line].slice(-CHAT_HISTORY);
}

/**
 * While a call is live, hold a port to the worker: when the worker stops, the port breaks, and
 * reconnecting wakes it so it can take the call back (nothing else might wake it).
 */
function holdWorker(): void {
  if (!live || live.wake) return;
  const owner = live;
  const port = chrome.runtime.connect({ name: 'offscreen-call' });
  owner.wake = port;
  port.onDisconnect.addListener(() => {
    if (owner.wake !== port) return; // hung up meanwhile
    owner.wake = undefined;
    // Only for the call that held it: a timer of an ended call must not wake anything.
    setTimeout(() => live === owner && holdWorker(), 100);
  });
}

/** Read directly by views that can reach this window (rtc/attach-video.ts), and by tests' getStats. */
const exposed: OffscreenMedia = {
  get local() {
    return media.stream ?? null;
  },
  get remote() {
    return call?.remoteStream ?? null;
  },
  get peer() {
    return call?.pc ?? null;
  },
};
(window as unknown as { tabcall: OffscreenMedia }).tabcall = exposed;

function hangUp(): void {
  live?.wake?.disconnect();
  live = undefined;
  call?.close();
  call = undefined;
  remoteAudio.srcObject = null;
  bridges.setTrack('remote', null);
}

/** Mic off = silent audio track; camera off = no video sent at all and a dark preview. */
function applySwitches(): void {
  for (const track of media.stream?.getAudioTracks() ?? []) track.enabled = switches.mic;
  for (const track of media.stream?.getVideoTracks() ?? []) track.enabled = switches.camera;
  call?.setCameraOn(switches.camera);
  call?.send({ type: 'media', ...switches });
}

function onPeerMessage(matchId: string, message: PeerMessage): void {
  switch (message.type) {
    case 'chat': {
      call?.send({ type: 'ack', id: message.id });
      const at = Date.now();
      remember(matchId, { id: message.id, from: 'stranger', text: message.text, at });
      void sendMessage('chat:received', { matchId, id: message.id, text: message.text, at });
      break;
    }
    case 'ack':
      if (live?.target.matchId === matchId) live.chat = live.chat.map((line) => (line.id === message.id && line.from === 'me' ? { ...line, delivered: true } : line));
      void sendMessage('chat:delivered', { matchId, id: message.id });
      break;
    case 'typing':
      void sendMessage('peer:typing', { matchId });
      break;
    case 'media':
      if (live?.target.matchId === matchId) live.remoteMedia = { camera: message.camera, mic: message.mic };
      void sendMessage('peer:media', { matchId, media: { camera: message.camera, mic: message.mic } });
      break;
  }
}

handle('offscreen:acquire-media', async ({ data }) => {
  try {
    const stream = await media.acquire(data.devices);
    switches = data.media;
    applySwitches();
    bridges.setTrack('local', stream.getVideoTracks()[0] ?? null);
    return { ok: true };
  } catch (error) {
    console.warn('getUserMedia failed', error);
    return { ok: false, failure: classifyMediaError(error) };
  }
});

handle('offscreen:devices', async ({ data }) => {
  if (!media.stream) return { ok: true }; // used at the next Start
  try {
    const stream = await media.acquire(data, true);
    call?.replaceLocalStream(stream);
    applySwitches();
    bridges.setTrack('local', stream.getVideoTracks()[0] ?? null);
    return { ok: true };
  } catch (error) {
    return { ok: false, failure: classifyMediaError(error) };
  }
});

handle('offscreen:media', ({ data }) => {
  switches = data;
  applySwitches();
});

handle('offscreen:release-media', () => {
  hangUp();
  media.release();
  bridges.setTrack('local', null);
});

handle('offscreen:call', ({ data }) => {
  hangUp();
  const localStream = media.stream;
  // The camera was released (or this document was recreated) since the search began: the call
  // cannot show us, so the worker says so and leaves the match instead of a silent black call.
  if (!localStream) return { ok: false, reason: 'no_media' };
  const { target, resumeToken, commonInterests, matchedAt } = data;
  const { matchId } = target;
  live = { target, resumeToken, commonInterests, matchedAt, chat: [], remoteMedia: ALL_ON, rtc: 'connecting', remoteVideo: false };
  holdWorker();
  call = new PeerCall({
    ...target,
    localStream,
    cameraOff: !switches.camera,
    onSignal: (data) => void sendMessage('rtc:signal', { matchId, data }).catch(() => {}),
    onPhase: (phase: RtcPhase, remoteVideo) => {
      if (live?.target.matchId === matchId) Object.assign(live, { rtc: phase, remoteVideo });
      void sendMessage('rtc:phase', { matchId, phase, remoteVideo }).catch(() => {});
    },
    onPeerMessage: (message) => onPeerMessage(matchId, message),
    onChannelOpen: () => call?.send({ type: 'media', ...switches }),
    onRemoteTracks: (stream) => {
      remoteAudio.srcObject = stream;
      bridges.setTrack('remote', stream.getVideoTracks()[0] ?? null);
    },
  });
  return { ok: true };
});

handle('offscreen:token', ({ data }) => {
  if (live?.target.matchId === data.matchId) live.resumeToken = data.resumeToken;
});

handle('offscreen:live-call', () => {
  if (!live || !call) return null;
  const { wake: _wake, ...rest } = live;
  return { ...rest, localMedia: switches };
});

handle('offscreen:signal', ({ data }) => {
  if (call?.matchId === data.matchId) void call.handleSignal(data.data);
});

handle('offscreen:hang-up', () => hangUp());

handle('offscreen:chat', ({ data }) => {
  if (call?.matchId !== data.matchId) return { ok: false, reason: 'no_call' };
  if (!call.send({ type: 'chat', id: data.id, text: data.text })) return { ok: false, reason: 'channel_not_open' };
  remember(data.matchId, { id: data.id, from: 'me', text: data.text, at: data.at });
  return { ok: true };
});

handle('offscreen:typing', ({ data: matchId }) => {
  if (call?.matchId === matchId) call.send({ type: 'typing' });
});

handle('bridge:open', async ({ data }) => ({ sdp: await bridges.open(data.bridgeId, data.sdp) }));
handle('bridge:close', ({ data }) => bridges.close(data));
