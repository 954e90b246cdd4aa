import type { EndReason } from '../../../shared/protocol';
import { inCall, type CallState, type Problem } from '../../lib/call-state';
import { t, type MessageKey } from '../i18n';
import { banUntil } from './BanNotice';

const MEDIA_PROBLEMS: Record<string, MessageKey> = {
  denied: 'problemCameraDenied',
  no_device: 'problemNoCamera',
  in_use: 'problemCameraInUse',
  other: 'problemCameraOther',
};

export function problemText(problem: Problem): string {
  switch (problem.kind) {
    case 'media':
      return t(MEDIA_PROBLEMS[problem.failure] ?? 'problemCameraOther');
    case 'server_error':
      return t('problemServerError', problem.message);
    case 'rate_limited':
      return t('problemRateLimited', String(Math.ceil(problem.retryAfterMs / 1000)));
    case 'banned':
      return problem.permanent ? t('problemBannedForGood') : t('problemBanned', banUntil(problem.until));
  }
}

/** What a person is told when the stranger's side ended the call (`ended` stays neutral: no word of a report). */
const END_TEXT: Partial<Record<EndReason, MessageKey>> = {
  next: 'strangerSkipped',
  left: 'strangerLeft',
  disconnected: 'strangerLeft',
  ended: 'callEnded',
};

/** After this long in a call without the stranger's video, offer Next. */
export const VIDEO_PATIENCE_MS = 10_000;

/** The words over the stranger's video: what is happening and what to do next. */
export function StageMessage({ state, now }: { state: CallState; now: number }) {
  if (state.problem) return <p class="stage-message error" role="alert">{problemText(state.problem)}</p>;
  // Out of a call, a lost server is the news; in a call, the call goes on (see LinkNotice).
  if (state.link === 'reconnecting' && !inCall(state.phase)) return <p class="stage-message error" role="alert">{t('problemServerUnreachable')}</p>;
  switch (state.phase) {
    case 'idle':
      return <p class="stage-message">{t('idleHint')}</p>;
    case 'rules':
      return null;
    case 'permission':
      return <p class="stage-message">{t('permissionHint')}</p>;
    case 'starting':
      return <p class="stage-message"><span class="spinner" aria-hidden="true" />{t('connecting')}</p>;
    case 'waiting':
      return (
        <p class="stage-message">
          <span class="spinner" aria-hidden="true" />
          {state.reported && <span class="thanks">{t('reportThanks')}</span>}
          {t('lookingForSomeone')}
          {state.stats && <span class="stats">{t('statsLine', [String(state.stats.online), String(state.stats.waiting)])}</span>}
        </p>
      );
    case 'partner-left':
      return <p class="stage-message notice">{t(END_TEXT[state.endedReason ?? 'left'] ?? 'strangerLeft')}</p>;
    case 'matched':
    case 'partner-away':
      if (state.rtc === 'failed') return <p class="stage-message error">{t('connectionFailed')}</p>;
      if (!state.remoteMedia.camera) return <p class="stage-message placeholder">{t('strangerCameraOff')}</p>;
      if (state.remoteVideo) return null;
      if (state.matchedAt && now - state.matchedAt > VIDEO_PATIENCE_MS) return <p class="stage-message error">{t('videoNotArriving')}</p>;
      return <p class="stage-message"><span class="spinner" aria-hidden="true" />{t('connectingVideo')}</p>;
  }
}

/**
 * A strip over the call when its signaling path is in trouble: honest about what is happening,
 * and clear that nothing has ended (the video and chat go peer to peer meanwhile).
 */
export function LinkNotice({ state }: { state: CallState }) {
  if (!inCall(state.phase)) return null;
  if (state.link !== 'connected') return <p class="stage-banner" role="status">{t('reconnectingCallGoesOn')}</p>;
  if (state.phase === 'partner-away') return <p class="stage-banner" role="status">{t('strangerUnstable')}</p>;
  return null;
}
