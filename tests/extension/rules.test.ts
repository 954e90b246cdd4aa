import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { RULES_VERSION, rulesAccepted, rulesAcceptedItem } from '../../extension/lib/rules';

describe('rules acceptance', () => {
  beforeEach(() => fakeBrowser.reset());

  it('is needed at first, remembered with its version, and asked again when the rules change', async () => {
    expect(await rulesAccepted()).toBe(false);
    await rulesAcceptedItem.setValue({ version: RULES_VERSION - 1, at: 1 });
    expect(await rulesAccepted()).toBe(false);
    await rulesAcceptedItem.setValue({ version: RULES_VERSION, at: 2 });
    expect(await rulesAccepted()).toBe(true);
  });
});
