import { useEffect, useState } from 'preact/hooks';
import type { CallState } from '../lib/call-state';
import { mark } from '../lib/trace';
import { VIEW_PORT, type ViewPortMessage } from '../lib/view-port';

/** The background's call state, live. Reconnects the port if the service worker restarts. */
export function useCallState(): CallState | undefined {
  const [state, setState] = useState<CallState>();
  useEffect(() => {
    let port: chrome.runtime.Port | undefined;
    let stopped = false;
    let matchId: string | undefined;
    const connect = () => {
      port = chrome.runtime.connect({ name: VIEW_PORT });
      port.onMessage.addListener((message: ViewPortMessage) => {
        if (message.type !== 'state') return;
        if (message.state.matchId && message.state.matchId !== matchId) mark('view:match');
        matchId = message.state.matchId;
        setState(message.state);
      });
      port.onDisconnect.addListener(() => {
        if (!stopped) setTimeout(connect, 100);
      });
    };
    connect();
    return () => {
      stopped = true;
      port?.disconnect();
    };
  }, []);
  return state;
}
