/** The background answers this extension's own pages only, and keeps state in storage.session. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { INITIAL_STATE, type CallState } from '../../extension/lib/call-state';

const phase = async () => ((await fakeBrowser.storage.session.get('callState')).callState as CallState | undefined)?.phase;
const message = (type: string, data?: unknown) => ({ id: Math.random(), type, data, timestamp: Date.now() });

describe('background message routing', () => {
  beforeEach(() => {
    fakeBrowser.reset();
    // The fake browser lacks these events; the background only adds listeners to them.
    (fakeBrowser.runtime as unknown as { onConnect: unknown }).onConnect = { addListener: vi.fn() };
    (fakeBrowser.commands as unknown as { onCommand: unknown }).onCommand = { addListener: vi.fn() };
  });

  it('ignores messages from another extension and obeys its own pages', async () => {
    await fakeBrowser.storage.session.set({ callState: { ...INITIAL_STATE, phase: 'partner-left' } });
    const { default: background } = await import('../../extension/entrypoints/background');
    background.main();

    void fakeBrowser.runtime.onMessage.trigger(message('call:stop'), { id: 'some-other-extension' });
    await new Promise((r) => setTimeout(r, 50));
    expect(await phase()).toBe('partner-left');

    void fakeBrowser.runtime.onMessage.trigger(message('call:stop'), { id: fakeBrowser.runtime.id });
    await vi.waitFor(async () => expect(await phase()).toBe('idle'));
  });
});
