/**
 * An offscreen document cannot show the camera prompt, so the first Start
 * opens this tab: it explains why, asks, and on Allow tells the background to
 * carry on with the start (no second click on Start).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { sendMessage } from '../../lib/messages';
import { classifyMediaError, MEDIA_CONSTRAINTS } from '../../rtc/media';
import { t, type MessageKey } from '../../ui/i18n';
import '../../ui/styles.css';

type Step = 'ask' | 'asking' | 'granted' | 'denied' | 'no_device' | 'in_use' | 'other';

const STEP_TEXT: Partial<Record<Step, MessageKey>> = {
  asking: 'permissionAsking',
  granted: 'permissionGranted',
  denied: 'permissionBlocked',
  no_device: 'permissionNoDevice',
  in_use: 'permissionInUse',
  other: 'problemCameraOther',
};

const siteSettings = `chrome://settings/content/siteDetails?site=${encodeURIComponent(location.origin)}`;

function PermissionPage() {
  const [step, setStep] = useState<Step>('ask');
  // Read ahead: sidePanel.open must run inside the click that asks for it.
  const [windowId, setWindowId] = useState<number>();
  useEffect(() => {
    void chrome.windows.getCurrent().then((w) => setWindowId(w.id));
  }, []);

  function showCall() {
    if (windowId !== undefined) void chrome.sidePanel.open({ windowId }).then(() => window.close());
  }

  async function ask() {
    setStep('asking');
    try {
      const stream = await navigator.mediaDevices.getUserMedia(MEDIA_CONSTRAINTS);
      for (const track of stream.getTracks()) track.stop();
      setStep('granted');
      await sendMessage('permission:granted');
    } catch (error) {
      setStep(classifyMediaError(error));
    }
  }

  const text = STEP_TEXT[step];
  return (
    <main class="app permission" data-step={step}>
      <h1>{t('permissionTitle')}</h1>
      <p>{t('permissionWhy')}</p>
      {step !== 'granted' && (
        <button class="primary" onClick={ask} disabled={step === 'asking'}>
          {t('permissionAllow')}
        </button>
      )}
      {text && (
        <p class={step === 'granted' || step === 'asking' ? 'notice' : 'error'} role="status">
          {t(text)}
        </p>
      )}
      {step === 'granted' && (
        <button class="primary" onClick={showCall}>
          {t('permissionShowCall')}
        </button>
      )}
      {step === 'denied' && (
        <p>
          <button onClick={() => void chrome.tabs.create({ url: siteSettings })}>{t('permissionOpenSettings')}</button>
        </p>
      )}
    </main>
  );
}

// The language of the strings chrome.i18n actually picked (getUILanguage can differ).
document.documentElement.lang = chrome.i18n.getMessage('lang');
render(<PermissionPage />, document.getElementById('root')!);
