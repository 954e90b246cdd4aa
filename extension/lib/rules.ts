/**
 * The house rules a person accepts before any camera prompt. Bump
 * RULES_VERSION when the rules change: everyone is asked again.
 */
import { storage } from 'wxt/utils/storage';

export const RULES_VERSION = 1;

/** Message keys of the rules, in order (the texts live in _locales). */
export const RULE_KEYS = ['rule18', 'ruleNudity', 'ruleHarassment', 'ruleMinors', 'ruleReports'] as const;

export const rulesAcceptedItem = storage.defineItem<{ version: number; at: number } | null>('local:rulesAccepted', { fallback: null });

export async function rulesAccepted(): Promise<boolean> {
  return (await rulesAcceptedItem.getValue())?.version === RULES_VERSION;
}
