import { useEffect, useState } from 'preact/hooks';
import type { CallState } from '../lib/call-state';
import { bridgeStreams, directStreams, findOffscreenMedia, type ViewStreams } from '../rtc/attach-video';

const forceBridge = new URLSearchParams(location.search).get('video') === 'bridge';

/**
 * The call's streams for this view: read from the offscreen window on every
 * render when it is reachable (so a new stranger shows up with the next state),
 * otherwise through one loopback bridge per active stretch of the call.
 */
export function useViewStreams(state: CallState | undefined): ViewStreams | undefined {
  const active = state !== undefined && ['starting', 'waiting', 'matched', 'partner-away', 'partner-left'].includes(state.phase);
  const [bridge, setBridge] = useState<ViewStreams>();

  useEffect(() => {
    if (!active) return;
    let closed = false;
    let opened: ViewStreams | undefined;
    // The offscreen document may still be starting: retry until it answers, or until its
    // window turns out to be reachable directly, which needs no bridge.
    const open = () => {
      if (closed || (!forceBridge && findOffscreenMedia())) return;
      bridgeStreams().then(
        (streams) => {
          if (closed) return streams.close();
          opened = streams;
          setBridge(streams);
        },
        () => {
          if (!closed) setTimeout(open, 300);
        },
      );
    };
    open();
    return () => {
      closed = true;
      opened?.close();
      setBridge(undefined);
    };
  }, [active]);

  if (!active) return undefined;
  return (forceBridge ? undefined : directStreams()) ?? bridge;
}
