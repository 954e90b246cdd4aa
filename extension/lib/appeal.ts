/**
 * A banned person's appeal: POST /api/appeal on the configured server, with
 * this installation's id (the only thing that says whose ban it is). Sent from
 * the view itself: it is one request, and the background has no socket while banned.
 */
import { APPEAL_ERRORS, type AppealError } from '../../shared/errors';
import { AppealRequest } from '../../shared/protocol';
import { installIdItem, serverUrlItem } from './settings';

export type AppealOutcome = { ok: true } | { ok: false; code: AppealError | 'unreachable' };

export async function sendAppeal(text: string, signal?: AbortSignal): Promise<AppealOutcome> {
  const [server, installId] = await Promise.all([serverUrlItem.getValue(), installIdItem.getValue()]);
  const body = AppealRequest.safeParse({ installId, text });
  if (!body.success) return { ok: false, code: 'invalid_payload' };
  try {
    const res = await fetch(new URL('/api/appeal', server), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body.data),
      signal: signal ?? AbortSignal.timeout(10_000),
    });
    if (res.ok) return { ok: true };
    const code = ((await res.json().catch(() => undefined)) as { error?: { code?: string } } | undefined)?.error?.code;
    return { ok: false, code: code && code in APPEAL_ERRORS ? (code as AppealError) : 'unreachable' };
  } catch {
    return { ok: false, code: 'unreachable' };
  }
}
