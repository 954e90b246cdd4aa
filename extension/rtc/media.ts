/** The camera and microphone, opened once and kept across strangers (Next does not re-ask). */
import type { MediaFailure } from '../lib/call-state';
import type { DeviceChoice } from '../lib/messages';

export const MEDIA_CONSTRAINTS = {
  video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
  audio: { echoCancellation: true, noiseSuppression: true },
} satisfies MediaStreamConstraints;

/** The remembered devices are preferred, not required: one that was unplugged falls back to the default. */
export function constraintsFor(devices: DeviceChoice): MediaStreamConstraints {
  return {
    video: { ...MEDIA_CONSTRAINTS.video, ...(devices.cameraId && { deviceId: { ideal: devices.cameraId } }) },
    audio: { ...MEDIA_CONSTRAINTS.audio, ...(devices.micId && { deviceId: { ideal: devices.micId } }) },
  };
}

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

  /** Opens the camera and microphone, or keeps the ones already open when `reopen` is false. */
  async acquire(devices: DeviceChoice, reopen = false): Promise<MediaStream> {
    if (!reopen && this.#stream?.getTracks().every((track) => track.readyState === 'live')) return this.#stream;
    const next = await navigator.mediaDevices.getUserMedia(constraintsFor(devices));
    this.release();
    this.#stream = next;
    return next;
  }

  release(): void {
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = undefined;
  }
}
