/**
 * Views (popup, side panel) hold a Port to the background named VIEW_PORT;
 * the background pushes the whole CallState down it on every change. A Port
 * also wakes the worker and tells it when views come and go.
 */
import type { CallState } from './call-state';

export const VIEW_PORT = 'call-view';

export type ViewPortMessage = { type: 'state'; state: CallState };
