/** What the extension keeps, and where: local survives restarts, session survives only the service worker. */
import { storage } from 'wxt/utils/storage';
import { INITIAL_STATE, type CallState } from './call-state';

export const DEFAULT_SERVER_URL: string = import.meta.env.WXT_SERVER_URL || 'http://localhost:3000';

/** A random id for this installation, sent only to the server. */
export const installIdItem = storage.defineItem<string>('local:installId', { init: () => crypto.randomUUID() });

export const serverUrlItem = storage.defineItem<string>('local:serverUrl', { fallback: DEFAULT_SERVER_URL });

/** The call as the background last knew it, so a restarted worker picks up where it was. */
export const callStateItem = storage.defineItem<CallState>('session:callState', { fallback: INITIAL_STATE });
