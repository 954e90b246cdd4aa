/** Creates the offscreen document (camera, microphone, the peer connection) once, however many callers race. */
const OFFSCREEN_PATH = 'offscreen.html';
let creating: Promise<void> | undefined;

export async function hasOffscreenDocument(): Promise<boolean> {
  const contexts = await chrome.runtime.getContexts({
    contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT],
    documentUrls: [chrome.runtime.getURL(OFFSCREEN_PATH)],
  });
  return contexts.length > 0;
}

export async function ensureOffscreenDocument(): Promise<void> {
  creating ??= (async () => {
    if (await hasOffscreenDocument()) return;
    await chrome.offscreen.createDocument({
      url: OFFSCREEN_PATH,
      reasons: [chrome.offscreen.Reason.USER_MEDIA, chrome.offscreen.Reason.WEB_RTC],
      justification: 'Keeps the camera, microphone and video call running while the popup is closed.',
    });
  })().finally(() => {
    creating = undefined;
  });
  return creating;
}
