import { useEffect, useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../shared/limits';
import type { ChatLine } from '../../lib/call-state';
import { sendMessage } from '../../lib/messages';
import { t } from '../i18n';

/** The transcript (rendered as text, never HTML) and the message box. Enter sends. */
export function Chat(props: { lines: ChatLine[]; enabled: boolean }) {
  const [draft, setDraft] = useState('');
  const [notice, setNotice] = useState<string>();
  const log = useRef<HTMLDivElement>(null);

  useEffect(() => {
    log.current?.scrollTo({ top: log.current.scrollHeight });
  }, [props.lines.length]);

  async function send(event: Event) {
    event.preventDefault();
    const text = draft.trim();
    if (!text || !props.enabled) return;
    const result = await sendMessage('chat:send', text);
    if (result.ok) {
      setDraft('');
      setNotice(undefined);
    } else {
      setNotice(result.reason === 'channel_not_open' ? t('chatNotOpen') : t('chatNoCall'));
    }
  }

  return (
    <section class="chat" aria-label={t('chatTitle')}>
      <div class="chat-log" ref={log} role="log" aria-live="polite">
        {props.lines.map((line) => (
          <p key={`${line.at}-${line.from}`} class={`line ${line.from}`}>
            <span class="who">{line.from === 'me' ? t('you') : t('stranger')}</span>
            <span class="text">{line.text}</span>
          </p>
        ))}
      </div>
      {notice && <p class="chat-notice" role="status">{notice}</p>}
      <form class="chat-form" onSubmit={send}>
        <label class="visually-hidden" for="message">
          {t('message')}
        </label>
        <input
          id="message"
          type="text"
          autocomplete="off"
          maxLength={LIMITS.chatMessage}
          placeholder={props.enabled ? t('messagePlaceholder') : t('messageDisabled')}
          disabled={!props.enabled}
          value={draft}
          onInput={(event) => setDraft((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!props.enabled || !draft.trim()}>
          {t('send')}
        </button>
      </form>
    </section>
  );
}
