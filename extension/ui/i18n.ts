/** UI strings come from _locales/<lang>/messages.json through chrome.i18n, following the browser's language. */
export type MessageKey = keyof typeof import('../public/_locales/en/messages.json');

export function t(key: MessageKey, substitutions?: string | string[]): string {
  return chrome.i18n.getMessage(key, substitutions) || key;
}
