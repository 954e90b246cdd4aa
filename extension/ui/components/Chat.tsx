import { useEffect, useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../shared/limits';
import type { ChatLine } from '../../lib/call-state';
import { sendMessage } from '../../lib/messages';
import { t } from '../i18n';

const TYPING_SIGNAL_EVERY_MS = 2000;
// In the language of the UI strings, which may differ from the browser's.
const time = new Intl.DateTimeFormat(t('lang'), { hour: '2-digit', minute: '2-digit' });

/** The transcript (rendered as text, never HTML) and the message box. Enter sends. */
export function Chat(props: { lines: ChatLine[]; enabled: boolean; strangerTyping: boolean }) {
  const [draft, setDraft] = useState('');
  const [notice, setNotice] = useState<string>();
  const log = useRef<HTMLDivElement>(null);
  const lastTypingSignal = useRef(0);

  useEffect(() => {
    log.current?.scrollTo({ top: log.current.scrollHeight });
  }, [props.lines.length, props.strangerTyping]);

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

  function onInput(value: string) {
    setDraft(value);
    if (value && Date.now() - lastTypingSignal.current > TYPING_SIGNAL_EVERY_MS) {
      lastTypingSignal.current = Date.now();
      void sendMessage('chat:typing');
    }
  }

  return (
    <section class="chat" aria-label={t('chatTitle')}>
      <div class="chat-log" ref={log} role="log" aria-live="polite">
        {props.lines.map((line) => (
          <p key={line.id} class={`line ${line.from}`}>
            <span class="who">{line.from === 'me' ? t('you') : t('stranger')}</span>
            <span class="text">{line.text}</span>
            <span class="meta">
              <time dateTime={new Date(line.at).toISOString()}>{time.format(line.at)}</time>
              {line.from === 'me' && (
                <span class="receipt" title={line.delivered ? t('chatDelivered') : t('chatSent')} aria-label={line.delivered ? t('chatDelivered') : t('chatSent')}>
                  {line.delivered ? '✓✓' : '✓'}
                </span>
              )}
            </span>
          </p>
        ))}
        {props.strangerTyping && <p class="typing">{t('strangerTyping')}</p>}
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
          aria-describedby="message-count"
          onInput={(event) => onInput((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!props.enabled || !draft.trim()}>
          {t('send')}
        </button>
      </form>
      <p id="message-count" class={`counter${draft.length > LIMITS.chatMessage * 0.9 ? ' near-limit' : ''}`}>
        {draft.length}/{LIMITS.chatMessage}
      </p>
    </section>
  );
}
