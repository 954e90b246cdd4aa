import { useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../shared/limits';
import { REPORT_REASONS, type ReportPayload } from '../../../shared/protocol';
import { sendMessage } from '../../lib/messages';
import { t } from '../i18n';

/** Report button and its dialog: a reason, optional words, and the call ends for both. */
export function ReportButton() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState<ReportPayload['reason']>('harassment');
  const [details, setDetails] = useState('');

  function submit(event: Event) {
    event.preventDefault();
    void sendMessage('call:report', { reason, details });
    setDetails('');
    dialog.current?.close();
  }

  return (
    <>
      <button class="report" onClick={() => dialog.current?.showModal()}>
        {t('report')}
      </button>
      <dialog ref={dialog} class="report-dialog" aria-labelledby="report-title">
        <form onSubmit={submit}>
          <h2 id="report-title">{t('reportTitle')}</h2>
          <fieldset>
            <legend>{t('reportReason')}</legend>
            {REPORT_REASONS.map((value) => (
              <label key={value}>
                <input type="radio" name="reason" value={value} checked={reason === value} onChange={() => setReason(value)} />
                {t(`reason_${value}`)}
              </label>
            ))}
          </fieldset>
          <label for="report-details">{t('reportDetails')}</label>
          <textarea id="report-details" maxLength={LIMITS.reportDetails} rows={2} value={details} onInput={(e) => setDetails((e.target as HTMLTextAreaElement).value)} />
          <div class="controls">
            <button type="submit" class="danger-solid">
              {t('reportSubmit')}
            </button>
            <button type="button" onClick={() => dialog.current?.close()}>
              {t('cancel')}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
