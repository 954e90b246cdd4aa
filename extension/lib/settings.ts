/** What the extension keeps, and where: local survives restarts, session survives only the service worker. */
import { storage } from 'wxt/utils/storage';
import { INITIAL_MACHINE, type MachineState } from './call-machine';
import type { DeviceChoice } from './messages';

export const DEFAULT_SERVER_URL: string = import.meta.env.WXT_SERVER_URL || 'http://localhost:3000';

/** A random id for this installation, sent only to the server. */
export const installIdItem = storage.defineItem<string>('local:installId', { init: () => crypto.randomUUID() });

export const serverUrlItem = storage.defineItem<string>('local:serverUrl', { fallback: DEFAULT_SERVER_URL });

/** The call machine's state as the background last knew it (resume token included), so a restarted worker picks up where it was. */
export const callMachineItem = storage.defineItem<MachineState>('session:callMachine', { fallback: INITIAL_MACHINE });

/** Interest tags sent with queue:join (normalised by the server). */
export const interestsItem = storage.defineItem<string[]>('local:interests', { fallback: [] });

export const devicesItem = storage.defineItem<DeviceChoice>('local:devices', { fallback: {} });

/** Messages from the stranger that arrived while no Tabcall view was open (the toolbar badge). */
export const unreadItem = storage.defineItem<number>('session:unread', { fallback: 0 });
