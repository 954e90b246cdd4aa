/**
 * The offscreen document: owns the camera and microphone, the peer connection
 * and the chat channel, so the call lives on when the popup closes. Views get
 * the streams from `window.tabcall` (same-extension windows via getViews) or
 * through ViewBridges.
 */
import type { MediaSwitches } from '../../lib/call-state';
import { onOwnMessage as handle, sendMessage } from '../../lib/messages';
import { classifyMediaError, LocalMedia } from '../../rtc/media';
import type { OffscreenMedia } from '../../rtc/offscreen-media';
import { PeerCall } from '../../rtc/peer-call';
import type { PeerMessage } from '../../../shared/peer';
import { ViewBridges } from '../../rtc/view-bridge';

const media = new LocalMedia();
const bridges = new ViewBridges();
const remoteAudio = document.getElementById('remote-audio') as HTMLAudioElement;
let call: PeerCall | undefined;
let switches: MediaSwitches = { camera: true, mic: true };

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
    case 'chat':
      call?.send({ type: 'ack', id: message.id });
      void sendMessage('chat:received', { matchId, id: message.id, text: message.text, at: Date.now() });
      break;
    case 'ack':
      void sendMessage('chat:delivered', { matchId, id: message.id });
      break;
    case 'typing':
      void sendMessage('peer:typing', { matchId });
      break;
    case 'media':
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

handle('offscreen:call', ({ data: target }) => {
  hangUp();
  const localStream = media.stream;
  if (!localStream) return;
  const { matchId } = target;
  call = new PeerCall({
    ...target,
    localStream,
    cameraOff: !switches.camera,
    onSignal: (data) => void sendMessage('rtc:signal', { matchId, data }),
    onPhase: (phase, remoteVideo) => void sendMessage('rtc:phase', { matchId, phase, remoteVideo }),
    onPeerMessage: (message) => onPeerMessage(matchId, message),
    onChannelOpen: () => call?.send({ type: 'media', ...switches }),
    onRemoteTracks: (stream) => {
      remoteAudio.srcObject = stream;
      bridges.setTrack('remote', stream.getVideoTracks()[0] ?? null);
    },
  });
});

handle('offscreen:signal', ({ data }) => {
  if (call?.matchId === data.matchId) void call.handleSignal(data.data);
});

handle('offscreen:hang-up', () => hangUp());

handle('offscreen:chat', ({ data }) => {
  if (call?.matchId !== data.matchId) return { ok: false, reason: 'no_call' };
  return call.send({ type: 'chat', id: data.id, text: data.text }) ? { ok: true } : { ok: false, reason: 'channel_not_open' };
});

handle('offscreen:typing', ({ data: matchId }) => {
  if (call?.matchId === matchId) call.send({ type: 'typing' });
});

handle('bridge:open', async ({ data }) => ({ sdp: await bridges.open(data.bridgeId, data.sdp) }));
handle('bridge:close', ({ data }) => bridges.close(data));
