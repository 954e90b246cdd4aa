/**
 * The service worker: holds the signaling socket (in CallController), answers
 * views and the offscreen document, and pushes the call state to every open
 * view. Listeners are registered synchronously so a message can wake it.
 */
import { CallController } from '../lib/call-controller';
import { fromThisExtension, onMessage } from '../lib/messages';
import { VIEW_PORT, type ViewPortMessage } from '../lib/view-port';

export default defineBackground(() => {
  const views = new Set<chrome.runtime.Port>();
  const controller = new CallController({
    publish(state) {
      const message: ViewPortMessage = { type: 'state', state };
      for (const port of views) port.postMessage(message);
    },
  });

  chrome.runtime.onConnect.addListener((port) => {
    if (port.name !== VIEW_PORT || port.sender?.id !== chrome.runtime.id) return;
    views.add(port);
    port.onDisconnect.addListener(() => views.delete(port));
    void controller.ready.then(() => port.postMessage({ type: 'state', state: controller.state } satisfies ViewPortMessage));
  });

  /** Registers a handler that ignores anything not sent by this extension. */
  const handle: typeof onMessage = (type, handler) =>
    onMessage(type, (message) => (fromThisExtension(message) ? handler(message) : undefined));

  handle('call:start', () => controller.start());
  handle('call:next', () => controller.next());
  handle('call:stop', () => controller.stop());
  handle('call:retry', () => controller.retry());
  handle('chat:send', ({ data }) => controller.sendChat(data));
  handle('permission:granted', () => controller.permissionGranted());
  handle('rtc:signal', ({ data }) => controller.relaySignal(data.matchId, data.data));
  handle('rtc:phase', ({ data }) => controller.dispatchExternal({ type: 'rtc', ...data }));
  handle('chat:received', ({ data }) =>
    controller.dispatchExternal({ type: 'chat', matchId: data.matchId, line: { from: 'stranger', text: data.text, at: data.at } }),
  );
});
