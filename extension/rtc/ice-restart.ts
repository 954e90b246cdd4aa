/**
 * Heals the media path. When the peer connection stays `disconnected` for a
 * few seconds or goes `failed` (a network change, a NAT rebinding), the
 * impolite side restarts ICE: one side only, so the two never offer at once.
 * The new offer and candidates go out through signaling like any other (and
 * wait in the worker's outbox while the server is out of reach); if the
 * connection is still down after another wait, it tries again.
 */
export const DISCONNECTED_PATIENCE_MS = 3000;

type WatchedConnection = Pick<RTCPeerConnection, 'connectionState' | 'restartIce' | 'addEventListener'>;

export function healIce(pc: WatchedConnection, options: { polite: boolean; signal: AbortSignal; patienceMs?: number }): void {
  if (options.polite) return;
  const patience = options.patienceMs ?? DISCONNECTED_PATIENCE_MS;
  const { signal } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const down = () => pc.connectionState === 'disconnected' || pc.connectionState === 'failed';
  const restartWhileDown = () => {
    timer = undefined;
    if (signal.aborted || !down()) return;
    pc.restartIce();
    timer = setTimeout(restartWhileDown, patience);
  };
  pc.addEventListener(
    'connectionstatechange',
    () => {
      if (!down()) {
        clearTimeout(timer);
        timer = undefined;
      } else if (pc.connectionState === 'failed') {
        clearTimeout(timer);
        restartWhileDown();
      } else {
        timer ??= setTimeout(restartWhileDown, patience);
      }
    },
    { signal },
  );
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
}
