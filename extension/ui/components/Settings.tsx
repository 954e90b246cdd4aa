import { useEffect, useState } from 'preact/hooks';
import { sendMessage } from '../../lib/messages';
import { devicesItem, installIdItem, serverUrlItem } from '../../lib/settings';
import { t } from '../i18n';

/** Server URL (used from the next Start) and the camera/microphone to use (switched at once). */
export function Settings() {
  const [url, setUrl] = useState('');
  const [saved, setSaved] = useState(false);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [choice, setChoice] = useState<{ cameraId?: string; micId?: string }>({});
  const [installId, setInstallId] = useState('');

  useEffect(() => {
    void serverUrlItem.getValue().then(setUrl);
    void devicesItem.getValue().then(setChoice);
    void installIdItem.getValue().then(setInstallId);
  }, []);

  async function loadDevices() {
    setDevices((await navigator.mediaDevices.enumerateDevices()).filter((d) => d.deviceId && d.label));
  }

  async function saveUrl(event: Event) {
    event.preventDefault();
    try {
      const parsed = new URL(url);
      if (!/^(https?|wss?):$/.test(parsed.protocol)) throw new Error('protocol');
      await serverUrlItem.setValue(parsed.origin);
      setSaved(true);
    } catch {
      setSaved(false);
    }
  }

  async function pick(kind: 'cameraId' | 'micId', deviceId: string) {
    const next = { ...choice, [kind]: deviceId || undefined };
    setChoice(next);
    await devicesItem.setValue(next);
    await sendMessage('media:devices');
  }

  const cameras = devices.filter((d) => d.kind === 'videoinput');
  const mics = devices.filter((d) => d.kind === 'audioinput');
  return (
    <details class="settings" onToggle={(e) => (e.currentTarget as HTMLDetailsElement).open && void loadDevices()}>
      <summary>{t('settings')}</summary>
      <div class="settings-grid">
        <label for="camera">{t('camera')}</label>
        <select id="camera" value={choice.cameraId ?? ''} onChange={(e) => void pick('cameraId', (e.target as HTMLSelectElement).value)}>
          <option value="">{t('systemDefault')}</option>
          {cameras.map((d) => (
            <option key={d.deviceId} value={d.deviceId}>{d.label}</option>
          ))}
        </select>
        <label for="microphone">{t('microphone')}</label>
        <select id="microphone" value={choice.micId ?? ''} onChange={(e) => void pick('micId', (e.target as HTMLSelectElement).value)}>
          <option value="">{t('systemDefault')}</option>
          {mics.map((d) => (
            <option key={d.deviceId} value={d.deviceId}>{d.label}</option>
          ))}
        </select>
      </div>
      <form onSubmit={saveUrl}>
        <label for="server-url">{t('serverUrl')}</label>
        <input id="server-url" type="url" value={url} onInput={(e) => (setUrl((e.target as HTMLInputElement).value), setSaved(false))} />
        <button type="submit">{t('save')}</button>
        {saved && <span role="status">{t('saved')}</span>}
      </form>
      {/* Only the person sees it here: they quote it to ask for deletion (see the privacy policy). */}
      <p class="install-id">{t('installIdLine')} <code>{installId}</code></p>
    </details>
  );
}
