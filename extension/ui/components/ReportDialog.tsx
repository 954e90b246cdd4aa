import { useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../shared/limits';
import { REPORT_REASONS, type ReportPayload } from '../../../shared/protocol';
import type { ReportStatus } from '../../lib/call-state';
import { sendMessage } from '../../lib/messages';
import { t } from '../i18n';

function failureText(report: ReportStatus | undefined): string | undefined {
  if (report?.status !== 'failed') return undefined;
  if (report.reason === 'offline') return t('reportOffline');
  if (report.reason === 'timeout') return t('reportTimeout');
  return t('reportRefused', report.message ?? '');
}

/**
 * Report button and its dialog: a reason, optional words, and the call ends for both. The dialog
 * stays open until the server has the report (the call then ends and it goes with it); a report
 * that could not be sent is said in the dialog, never dropped silently.
 */
export function ReportButton({ report }: { report?: ReportStatus }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState<ReportPayload['reason']>('harassment');
  const [details, setDetails] = useState('');
  const sending = report?.status === 'sending';
  const failure = failureText(report);

  function submit(event: Event) {
    event.preventDefault();
    if (!sending) void sendMessage('call:report', { reason, details });
  }

  function cancel() {
    dialog.current?.close();
    if (failure) void sendMessage('call:report-dismissed');
  }

  return (
    <>
      <button class="report" onClick={() => dialog.current?.showModal()}>
        {t('report')}
      </button>
      <dialog ref={dialog} class="report-dialog" aria-labelledby="report-title" onCancel={cancel}>
        <form onSubmit={submit}>
          <h2 id="report-title">{t('reportTitle')}</h2>
          <fieldset disabled={sending}>
            <legend>{t('reportReason')}</legend>
            {REPORT_REASONS.map((value) => (
              <label key={value}>
                <input type="radio" name="reason" value={value} checked={reason === value} onChange={() => setReason(value)} />
                {t(`reason_${value}`)}
              </label>
            ))}
          </fieldset>
          <label for="report-details">{t('reportDetails')}</label>
          <textarea id="report-details" maxLength={LIMITS.reportDetails} rows={2} value={details} disabled={sending} onInput={(e) => setDetails((e.target as HTMLTextAreaElement).value)} />
          {sending && <p class="report-status" role="status">{t('reportSending')}</p>}
          {failure && <p class="report-status error" role="alert">{failure}</p>}
          <div class="controls">
            <button type="submit" class="danger-solid" disabled={sending}>
              {t('reportSubmit')}
            </button>
            <button type="button" onClick={cancel}>
              {t('cancel')}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
