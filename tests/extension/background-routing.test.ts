/** The background answers this extension's own pages only, keeps state in storage.session, and survives being woken by a shortcut. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { INITIAL_MACHINE, type MachineState } from '../../extension/lib/call-machine';

const saved = async () => (await fakeBrowser.storage.session.get('callMachine')).callMachine as MachineState | undefined;
const message = (type: string, data?: unknown) => ({ id: Math.random(), type, data, timestamp: Date.now() });
const partnerLeft: MachineState = { ...INITIAL_MACHINE, view: { ...INITIAL_MACHINE.view, phase: 'partner-left', endedReason: 'left' } };

describe('background message routing', () => {
  let commandListeners: Array<(command: string) => void>;
  beforeEach(() => {
    vi.resetModules();
    fakeBrowser.reset();
    commandListeners = [];
    // The fake browser lacks these events; the background only adds listeners to them.
    (fakeBrowser.runtime as unknown as { onConnect: unknown }).onConnect = { addListener: vi.fn() };
    (fakeBrowser.commands as unknown as { onCommand: unknown }).onCommand = { addListener: (fn: (command: string) => void) => commandListeners.push(fn) };
  });

  it('ignores messages from another extension and obeys its own pages', async () => {
    await fakeBrowser.storage.session.set({ callMachine: partnerLeft });
    const { default: background } = await import('../../extension/entrypoints/background');
    background.main();

    void fakeBrowser.runtime.onMessage.trigger(message('call:stop'), { id: 'some-other-extension' });
    await new Promise((r) => setTimeout(r, 50));
    expect((await saved())?.view.phase).toBe('partner-left');

    void fakeBrowser.runtime.onMessage.trigger(message('call:stop'), { id: fakeBrowser.runtime.id });
    await vi.waitFor(async () => expect((await saved())?.view.phase).toBe('idle'));
  });

  it('a keyboard shortcut that wakes a cold worker waits for the saved state instead of throwing', async () => {
    await fakeBrowser.storage.session.set({ callMachine: partnerLeft });
    const { default: background } = await import('../../extension/entrypoints/background');
    background.main();
    // At once, before storage has answered: this used to read an undefined state and throw.
    expect(() => commandListeners.forEach((listener) => listener('toggle-mute'))).not.toThrow();
    await vi.waitFor(async () => expect((await saved())?.view).toMatchObject({ phase: 'partner-left', localMedia: { camera: true, mic: false } }));
  });
});
