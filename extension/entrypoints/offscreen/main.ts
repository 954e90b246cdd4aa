/**
 * The offscreen document: owns the camera and microphone, the peer connection
 * and the chat channel, so the call lives on when the popup closes. Views get
 * the streams from `window.tabcall` (same-extension windows via getViews) or
 * through ViewBridges.
 */
import { fromThisExtension, onMessage, sendMessage } from '../../lib/messages';
import { classifyMediaError, LocalMedia } from '../../rtc/media';
import { PeerCall } from '../../rtc/peer-call';
import { ViewBridges } from '../../rtc/view-bridge';
import type { OffscreenMedia } from '../../rtc/offscreen-media';

const media = new LocalMedia();
const bridges = new ViewBridges();
const remoteAudio = document.getElementById('remote-audio') as HTMLAudioElement;
let call: PeerCall | undefined;

/** Read directly by views that can reach this window (rtc/attach-video.ts). */
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

const handle: typeof onMessage = (type, handler) =>
  onMessage(type, (message) => (fromThisExtension(message) ? handler(message) : undefined));

handle('offscreen:acquire-media', async () => {
  try {
    const stream = await media.acquire();
    bridges.setTrack('local', stream.getVideoTracks()[0] ?? null);
    return { ok: true };
  } catch (error) {
    console.warn('getUserMedia failed', error);
    return { ok: false, failure: classifyMediaError(error) };
  }
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
    onSignal: (data) => void sendMessage('rtc:signal', { matchId, data }),
    onPhase: (phase, remoteVideo) => void sendMessage('rtc:phase', { matchId, phase, remoteVideo }),
    onChat: (text) => void sendMessage('chat:received', { matchId, text, at: Date.now() }),
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
  return call.sendChat(data.text) ? { ok: true } : { ok: false, reason: 'channel_not_open' };
});

handle('offscreen:status', () => ({ matchId: call?.matchId, hasMedia: Boolean(media.stream) }));

handle('bridge:open', async ({ data }) => ({ sdp: await bridges.open(data.bridgeId, data.sdp) }));
handle('bridge:close', ({ data }) => bridges.close(data));
