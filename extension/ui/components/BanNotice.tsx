import { useState } from 'preact/hooks';
import type { BannedInfo } from '../../../shared/protocol';
import { LIMITS } from '../../../shared/limits';
import { sendAppeal, type AppealOutcome } from '../../lib/appeal';
import { t, type MessageKey } from '../i18n';

const APPEAL_ERRORS: Partial<Record<Exclude<AppealOutcome, { ok: true }>['code'], MessageKey>> = {
  not_banned: 'appealNotBanned',
  rate_limited: 'appealRateLimited',
  unreachable: 'appealUnreachable',
};

/** A ban's end, as people write dates (no seconds). */
export function banUntil(iso: string): string {
  return new Date(iso).toLocaleString(t('lang'), { dateStyle: 'medium', timeStyle: 'short' });
}

/** Why the person is banned, and a short appeal to the moderators (one per ban). */
export function BanNotice({ ban }: { ban: BannedInfo }) {
  const [text, setText] = useState('');
  const [status, setStatus] = useState<'idle' | 'sending' | 'sent' | MessageKey>(ban.appealed ? 'sent' : 'idle');

  async function submit(event: Event) {
    event.preventDefault();
    if (!text.trim() || status === 'sending') return;
    setStatus('sending');
    const outcome = await sendAppeal(text.trim());
    if (outcome.ok || outcome.code === 'already_appealed') return setStatus('sent');
    setStatus(APPEAL_ERRORS[outcome.code] ?? 'appealUnreachable');
  }

  return (
    <section class="ban-notice" aria-labelledby="ban-title">
      <h2 id="ban-title">{ban.permanent ? t('banTitleForGood') : t('banTitle', banUntil(ban.until))}</h2>
      <p>{t('banReason', t(`reason_${ban.reason}` as MessageKey))}</p>
      {status === 'sent' ? (
        <p class="appeal-sent" role="status">{t('appealSent')}</p>
      ) : (
        <form onSubmit={submit}>
          <label for="appeal-text">{t('appealLabel')}</label>
          <textarea
            id="appeal-text"
            rows={3}
            maxLength={LIMITS.appealText}
            value={text}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            placeholder={t('appealPlaceholder')}
          />
          <div class="controls">
            <button class="primary" type="submit" disabled={!text.trim() || status === 'sending'}>
              {t('appealSend')}
            </button>
          </div>
          {status !== 'idle' && status !== 'sending' && <p class="error" role="alert">{t(status)}</p>}
        </form>
      )}
    </section>
  );
}
