import { useEffect, useState } from 'preact/hooks';
import { inCall } from '../lib/call-state';
import { sendMessage } from '../lib/messages';
import { mark } from '../lib/trace';
import { BanNotice } from './components/BanNotice';
import { Chat } from './components/Chat';
import { Interests } from './components/Interests';
import { ReportButton } from './components/ReportDialog';
import { RulesGate } from './components/RulesGate';
import { Settings } from './components/Settings';
import { LinkNotice, StageMessage } from './components/Status';
import { Video } from './components/Video';
import { t } from './i18n';
import { useCallState } from './use-call-state';
import { useNow } from './use-now';
import { useViewStreams } from './use-view-streams';

const TYPING_SHOWN_MS = 3000;

/** The extension's keyboard shortcuts as the person has set them (chrome://extensions/shortcuts). */
function useShortcuts(): Record<string, string> {
  const [shortcuts, setShortcuts] = useState<Record<string, string>>({});
  useEffect(() => {
    void chrome.commands.getAll().then((all) => setShortcuts(Object.fromEntries(all.map((c) => [c.name ?? '', c.shortcut ?? '']))));
  }, []);
  return shortcuts;
}

/** The window this view belongs to, read ahead of time: sidePanel.open must run inside the click. */
function useWindowId(): number | undefined {
  const [id, setId] = useState<number>();
  useEffect(() => {
    void chrome.windows.getCurrent().then((w) => setId(w.id));
  }, []);
  return id;
}

/** The whole call UI; the popup and the side panel both render it. */
export function App(props: { surface: 'popup' | 'sidepanel' }) {
  const state = useCallState();
  const streams = useViewStreams(state);
  const shortcuts = useShortcuts();
  const windowId = useWindowId();
  const phase = state?.phase ?? 'idle';
  const active = phase !== 'idle' && phase !== 'rules';
  const calling = inCall(phase);
  const now = useNow(calling);

  useEffect(() => {
    // Alt+N inside the page too (Escape would close the popup).
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey && !event.shiftKey && event.key.toLowerCase() === 'n' && active) {
        event.preventDefault();
        void sendMessage('call:next');
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [active]);

  if (!state) return <main class={`app ${props.surface}`} aria-busy="true" />;
  const { localMedia } = state;

  function openSidePanel() {
    if (windowId === undefined) return;
    void chrome.sidePanel.open({ windowId }).then(() => window.close());
  }

  return (
    <main class={`app ${props.surface}`} data-phase={phase} data-link={state.link} data-match-id={state.matchId}>
      <header class="top">
        <h1>Tabcall</h1>
        {props.surface === 'popup' && (
          <button class="link" onClick={openSidePanel} title={t('openSidePanelHint')}>
            {t('openSidePanel')}
          </button>
        )}
      </header>
      {state.commonInterests.length > 0 && <p class="interests">{t('sharedInterests', state.commonInterests.join(', '))}</p>}

      {phase === 'rules' && <RulesGate />}
      {state.problem?.kind === 'banned' && <BanNotice ban={state.problem} />}
      <section class="stage" aria-label={t('videoArea')} data-video-path={streams?.path}>
        <Video class="remote" stream={streams?.remote} label={t('stranger')} />
        <div class="stage-overlay" aria-live="polite">
          <StageMessage state={state} now={now} />
          <LinkNotice state={state} />
        </div>
        <div class="local-wrap" hidden={!active}>
          <Video class="local" stream={streams?.local} label={t('you')} mirrored />
          {!localMedia.camera && <span class="local-off">{t('cameraIsOff')}</span>}
        </div>
      </section>

      <nav class="controls" aria-label={t('controls')}>
        {phase === 'rules' ? null : !active ? (
          <button class="primary" onClick={() => (mark('view:command'), void sendMessage('call:start'))}>
            {t('start')}
          </button>
        ) : (
          <>
            <button class="primary" onClick={() => (mark('view:command'), void sendMessage('call:next'))} aria-keyshortcuts="Alt+N" title={t('nextShortcut', shortcuts['next-stranger'] || 'Alt+N')}>
              {t('next')}
            </button>
            <button class="danger" onClick={() => void sendMessage('call:stop')} title={shortcuts['stop-call']}>
              {t('stop')}
            </button>
          </>
        )}
        {state.link === 'reconnecting' && (
          <button onClick={() => void sendMessage('call:retry')}>{t('retry')}</button>
        )}
      </nav>
      {active && (
        <div class="toggles">
          <button
            aria-pressed={!localMedia.mic}
            onClick={() => void sendMessage('media:set', { ...localMedia, mic: !localMedia.mic })}
            title={shortcuts['toggle-mute']}
          >
            {t('muteMicrophone')}
          </button>
          <button aria-pressed={!localMedia.camera} onClick={() => void sendMessage('media:set', { ...localMedia, camera: !localMedia.camera })}>
            {t('cameraOff')}
          </button>
          {calling && <ReportButton report={state.report} />}
        </div>
      )}
      {!active && <Interests />}

      <Chat
        lines={state.chat}
        enabled={calling}
        strangerTyping={calling && state.strangerTypingAt !== undefined && now - state.strangerTypingAt < TYPING_SHOWN_MS}
      />
      <p class="hint">{t('chatClearedHint')}</p>
      <p class="hint shortcuts">
        {t('shortcutsLine', [shortcuts['next-stranger'] || '—', shortcuts['stop-call'] || '—', shortcuts['toggle-mute'] || '—'])}
      </p>
      <Settings />
    </main>
  );
}
