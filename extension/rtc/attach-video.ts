/**
 * Shows the call's local and remote video in a view (popup, side panel). A
 * MediaStream cannot travel through extension messaging, so either:
 *  - direct: the offscreen document's window is reachable through
 *    chrome.extension.getViews() (Chromium includes it; undocumented), and its
 *    streams play here with no copy; or
 *  - bridge: a loopback RTCPeerConnection to the offscreen document
 *    (rtc/view-bridge.ts), signaled over extension messaging.
 * The first that works is used; `?video=bridge` on the page forces the bridge.
 */
import { sendMessage } from '../lib/messages';
import type { OffscreenMedia } from './offscreen-media';
import { gatheringDone } from './view-bridge';

export type VideoPath = 'direct' | 'bridge';

export interface ViewStreams {
  path: VideoPath;
  local: MediaStream | null;
  remote: MediaStream | null;
  close(): void;
}

export function findOffscreenMedia(): OffscreenMedia | undefined {
  for (const view of chrome.extension.getViews()) {
    const media = (view as unknown as { tabcall?: OffscreenMedia }).tabcall;
    if (media) return media;
  }
  return undefined;
}

const videoOnlyCache = new WeakMap<MediaStream, { trackIds: string; stream: MediaStream }>();

/**
 * The video tracks of a stream, as a stream of their own that stays the same
 * object while those tracks do. Views must never hold the call's audio: the
 * offscreen document plays it, and Chromium shares one audio renderer among
 * every element playing a remote track in the process, so a view closing
 * while holding it can silence the call.
 */
function videoOnly(stream: MediaStream | null): MediaStream | null {
  if (!stream) return null;
  const tracks = stream.getVideoTracks();
  const trackIds = tracks.map((track) => track.id).join();
  const cached = videoOnlyCache.get(stream);
  if (cached?.trackIds === trackIds) return cached.stream;
  const video = new MediaStream(tracks);
  videoOnlyCache.set(stream, { trackIds, stream: video });
  return video;
}

/** Streams read straight from the offscreen window; undefined where that window is out of reach. */
export function directStreams(): ViewStreams | undefined {
  const media = findOffscreenMedia();
  if (!media) return undefined;
  return { path: 'direct', local: videoOnly(media.local), remote: videoOnly(media.remote), close() {} };
}

/** Opens a loopback bridge; its streams stay the same object for the bridge's life. */
export async function bridgeStreams(): Promise<ViewStreams> {
  const pc = new RTCPeerConnection();
  const local = new MediaStream([pc.addTransceiver('video', { direction: 'recvonly' }).receiver.track]);
  const remote = new MediaStream([pc.addTransceiver('video', { direction: 'recvonly' }).receiver.track]);
  await pc.setLocalDescription();
  await gatheringDone(pc);
  const bridgeId = crypto.randomUUID();
  try {
    const { sdp } = await sendMessage('bridge:open', { bridgeId, sdp: pc.localDescription!.sdp });
    await pc.setRemoteDescription({ type: 'answer', sdp });
  } catch (error) {
    pc.close();
    throw error;
  }
  return {
    path: 'bridge',
    local,
    remote,
    close() {
      pc.close();
      void sendMessage('bridge:close', bridgeId).catch(() => {});
    },
  };
}
