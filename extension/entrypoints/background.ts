/**
 * The service worker: holds the signaling socket (in CallController), answers
 * views and the offscreen document, and pushes the call state to every open
 * view. Listeners are registered synchronously so a message can wake it.
 */
import { CallController } from '../lib/call-controller';
import { onOwnMessage as handle } from '../lib/messages';
import { unreadItem } from '../lib/settings';
import { VIEW_PORT, type ViewPortMessage } from '../lib/view-port';

export default defineBackground(() => {
  const views = new Set<chrome.runtime.Port>();
  const controller = new CallController({
    publish(state) {
      const message: ViewPortMessage = { type: 'state', state };
      for (const port of views) port.postMessage(message);
    },
  });

  /** The toolbar badge counts the stranger's messages that arrived while no Tabcall view was open. */
  const showUnread = (count: number) => chrome.action.setBadgeText({ text: count > 0 ? String(Math.min(count, 99)) : '' });
  async function countUnread() {
    if (views.size > 0) return;
    const count = (await unreadItem.getValue()) + 1;
    await unreadItem.setValue(count);
    await showUnread(count);
  }

  chrome.runtime.onConnect.addListener((port) => {
    if (port.name !== VIEW_PORT || port.sender?.id !== chrome.runtime.id) return;
    views.add(port);
    void unreadItem.setValue(0).then(() => showUnread(0));
    port.onDisconnect.addListener(() => views.delete(port));
    void controller.ready.then(() => port.postMessage({ type: 'state', state: controller.state } satisfies ViewPortMessage));
  });

  handle('call:start', () => controller.start());
  handle('call:next', () => controller.next());
  handle('call:stop', () => controller.stop());
  handle('call:retry', () => controller.retry());
  handle('call:report', ({ data }) => controller.report(data.reason, data.details));
  handle('call:report-dismissed', async () => {
    await controller.ready;
    controller.dispatch({ type: 'report-dismissed' });
  });
  handle('rules:accept', () => controller.acceptRules());
  handle('chat:send', ({ data }) => controller.sendChat(data));
  handle('chat:typing', () => controller.typing());
  handle('media:set', ({ data }) => controller.setMedia(data));
  handle('media:devices', () => controller.devicesChanged());
  handle('permission:granted', () => controller.permissionGranted());
  // From the offscreen document. Events that arrive while the worker is still reading its saved
  // state wait in the controller until it has.
  handle('rtc:signal', ({ data }) => controller.relaySignal(data.matchId, data.data));
  handle('rtc:phase', ({ data }) => controller.dispatch({ type: 'rtc', ...data }));
  handle('chat:received', async ({ data }) => {
    await controller.ready;
    if (data.matchId !== controller.state.matchId) return;
    controller.dispatch({ type: 'chat', matchId: data.matchId, line: { id: data.id, from: 'stranger', text: data.text, at: data.at } });
    void countUnread();
  });
  handle('chat:delivered', ({ data }) => controller.dispatch({ type: 'chat-delivered', ...data }));
  handle('peer:typing', ({ data }) => controller.dispatch({ type: 'stranger-typing', matchId: data.matchId, at: Date.now() }));
  handle('peer:media', ({ data }) => controller.dispatch({ type: 'remote-media', ...data }));

  // Keyboard shortcuts (manifest `commands`), working from any tab. A shortcut may be what wakes
  // the worker: read the call's state only once it is loaded.
  chrome.commands.onCommand.addListener((command) => {
    void controller.ready.then(() => {
      const { phase, localMedia } = controller.state;
      if (command === 'next-stranger') void controller.next();
      else if (command === 'stop-call' && phase !== 'idle') void controller.stop();
      else if (command === 'toggle-mute') void controller.setMedia({ ...localMedia, mic: !localMedia.mic });
    });
  });
});
