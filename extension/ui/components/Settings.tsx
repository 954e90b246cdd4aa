import { useEffect, useState } from 'preact/hooks';
import { serverUrlItem } from '../../lib/settings';
import { t } from '../i18n';

/** The signaling server's URL, stored with WXT storage; used from the next Start. */
export function Settings() {
  const [url, setUrl] = useState('');
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    void serverUrlItem.getValue().then(setUrl);
  }, []);

  async function save(event: Event) {
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

  return (
    <details class="settings">
      <summary>{t('settings')}</summary>
      <form onSubmit={save}>
        <label for="server-url">{t('serverUrl')}</label>
        <input id="server-url" type="url" value={url} onInput={(e) => (setUrl((e.target as HTMLInputElement).value), setSaved(false))} />
        <button type="submit">{t('save')}</button>
        {saved && <span role="status">{t('saved')}</span>}
      </form>
    </details>
  );
}
