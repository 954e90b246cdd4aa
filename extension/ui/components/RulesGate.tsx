import { sendMessage } from '../../lib/messages';
import { RULE_KEYS } from '../../lib/rules';
import { t } from '../i18n';

/** The rules, shown before any camera prompt; accepting them carries on with the Start. */
export function RulesGate() {
  return (
    <section class="rules" aria-labelledby="rules-title">
      <h2 id="rules-title">{t('rulesTitle')}</h2>
      <ul>
        {RULE_KEYS.map((key) => (
          <li key={key}>{t(key)}</li>
        ))}
      </ul>
      <div class="controls">
        <button class="primary" onClick={() => void sendMessage('rules:accept')}>
          {t('rulesAccept')}
        </button>
        <button onClick={() => void sendMessage('call:stop')}>{t('cancel')}</button>
      </div>
    </section>
  );
}
