import { useEffect } from 'preact/hooks';
import { sendMessage } from '../lib/messages';
import { Chat } from './components/Chat';
import { Settings } from './components/Settings';
import { StageMessage } from './components/Status';
import { Video } from './components/Video';
import { t } from './i18n';
import { useCallState } from './use-call-state';
import { useViewStreams } from './use-view-streams';

/** The whole call UI; the popup and the side panel both render it. */
export function App(props: { surface: 'popup' | 'sidepanel' }) {
  const state = useCallState();
  const streams = useViewStreams(state);
  const phase = state?.phase ?? 'idle';
  const active = phase !== 'idle';

  useEffect(() => {
    // Alt+N: Next (Escape would close the popup).
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey && event.key.toLowerCase() === 'n' && active) {
        event.preventDefault();
        void sendMessage('call:next');
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [active]);

  if (!state) return <main class={`app ${props.surface}`} aria-busy="true" />;

  return (
    <main class={`app ${props.surface}`} data-phase={phase}>
      <header class="top">
        <h1>Tabcall</h1>
        {state.commonInterests.length > 0 && (
          <p class="interests">{t('sharedInterests', state.commonInterests.join(', '))}</p>
        )}
      </header>

      <section class="stage" aria-label={t('videoArea')} data-video-path={streams?.path}>
        <Video class="remote" stream={streams?.remote} label={t('stranger')} />
        <div class="stage-overlay" aria-live="polite">
          <StageMessage state={state} />
        </div>
        <Video class="local" stream={streams?.local} label={t('you')} mirrored />
      </section>

      <nav class="controls">
        {!active ? (
          <button class="primary" onClick={() => void sendMessage('call:start')}>
            {t('start')}
          </button>
        ) : (
          <>
            <button class="primary" onClick={() => void sendMessage('call:next')} aria-keyshortcuts="Alt+N" title={t('nextShortcut')}>
              {t('next')}
            </button>
            <button class="danger" onClick={() => void sendMessage('call:stop')}>
              {t('stop')}
            </button>
          </>
        )}
        {state.problem?.kind === 'server_unreachable' && (
          <button onClick={() => void sendMessage('call:retry')}>{t('retry')}</button>
        )}
      </nav>

      <Chat lines={state.chat} enabled={phase === 'matched'} />
      {phase === 'matched' && <p class="hint">{t('chatClearedHint')}</p>}
      <Settings />
    </main>
  );
}
