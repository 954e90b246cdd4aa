/** The camera and microphone, opened once and kept across strangers (Next does not re-ask). */
import type { MediaFailure } from '../lib/call-state';

export const MEDIA_CONSTRAINTS: MediaStreamConstraints = {
  video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
  audio: { echoCancellation: true, noiseSuppression: true },
};

/** Maps getUserMedia's DOMException names to what a person can act on. */
export function classifyMediaError(error: unknown): MediaFailure {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'no_device';
  if (name === 'NotReadableError' || name === 'AbortError') return 'in_use';
  return 'other';
}

export class LocalMedia {
  #stream?: MediaStream;

  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  async acquire(): Promise<MediaStream> {
    if (this.#stream?.getTracks().every((track) => track.readyState === 'live')) return this.#stream;
    this.release();
    this.#stream = await navigator.mediaDevices.getUserMedia(MEDIA_CONSTRAINTS);
    return this.#stream;
  }

  release(): void {
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = undefined;
  }
}
