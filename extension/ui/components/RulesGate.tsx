import { useEffect, useState } from 'preact/hooks';
import { sendMessage } from '../../lib/messages';
import { RULE_KEYS } from '../../lib/rules';
import { serverUrlItem } from '../../lib/settings';
import { t } from '../i18n';

/** The privacy policy on the server this extension talks to, in the browser's language. */
function usePrivacyUrl(): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    void serverUrlItem.getValue().then((server) => setUrl(new URL(`/privacy?lang=${t('lang').startsWith('fr') ? 'fr' : 'en'}`, server).href));
  }, []);
  return url;
}

/** The rules, shown before any camera prompt; accepting them carries on with the Start. */
export function RulesGate() {
  const privacyUrl = usePrivacyUrl();
  return (
    <section class="rules" aria-labelledby="rules-title">
      <h2 id="rules-title">{t('rulesTitle')}</h2>
      <ul>
        {RULE_KEYS.map((key) => (
          <li key={key}>{t(key)}</li>
        ))}
      </ul>
      {privacyUrl && (
        <p class="privacy-link">
          <a href={privacyUrl} target="_blank" rel="noreferrer">{t('privacyPolicy')}</a>
        </p>
      )}
      <div class="controls">
        <button class="primary" onClick={() => void sendMessage('rules:accept')}>
          {t('rulesAccept')}
        </button>
        <button onClick={() => void sendMessage('call:stop')}>{t('cancel')}</button>
      </div>
    </section>
  );
}
