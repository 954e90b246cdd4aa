/** The ICE-restart policy against a stand-in connection whose state the test sets (real restarts are in tests/e2e/resilience.test.ts). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { healIce } from '../../extension/rtc/ice-restart';

class Connection extends EventTarget {
  connectionState: RTCPeerConnectionState = 'connected';
  restartIce = vi.fn();
  set(state: RTCPeerConnectionState) {
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }
}

describe('ICE restart', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('the impolite side restarts after a few seconds disconnected, and again while it stays down', () => {
    const pc = new Connection();
    healIce(pc, { polite: false, signal: new AbortController().signal, patienceMs: 3000 });
    pc.set('disconnected');
    vi.advanceTimersByTime(2900);
    expect(pc.restartIce).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
    expect(pc.restartIce).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(3000);
    expect(pc.restartIce).toHaveBeenCalledTimes(2);
    pc.set('connected');
    vi.advanceTimersByTime(10_000);
    expect(pc.restartIce).toHaveBeenCalledTimes(2);
  });

  it('restarts at once on failed; a short blip restarts nothing', () => {
    const pc = new Connection();
    healIce(pc, { polite: false, signal: new AbortController().signal, patienceMs: 3000 });
    pc.set('disconnected');
    vi.advanceTimersByTime(1000);
    pc.set('connected');
    vi.advanceTimersByTime(5000);
    expect(pc.restartIce).not.toHaveBeenCalled();
    pc.set('failed');
    expect(pc.restartIce).toHaveBeenCalledTimes(1);
  });

  it('the polite side never restarts, and nothing acts after the call closed', () => {
    const polite = new Connection();
    healIce(polite, { polite: true, signal: new AbortController().signal });
    polite.set('failed');
    expect(polite.restartIce).not.toHaveBeenCalled();

    const closed = new Connection();
    const abort = new AbortController();
    healIce(closed, { polite: false, signal: abort.signal, patienceMs: 3000 });
    closed.set('disconnected');
    abort.abort();
    vi.advanceTimersByTime(10_000);
    closed.set('failed');
    expect(closed.restartIce).not.toHaveBeenCalled();
  });
});
