/** The proof that a call lived through a fault, shared by the end-to-end fault tests. */
import type { Browser, Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { clickButton, offscreenGrowth, offscreenPage, sampleVideo, sendChat, waitForChat, waitForPhase } from './browser';
import { recordView, waitForCallBack, watchFrames } from './faults';

/** The longest the stranger's video may stall in an offscreen document while a fault is going on. */
export const STALL_LIMIT_MS = 2000;

/**
 * Runs `fault` mid-call and proves the call lived through it: the stranger's
 * video kept arriving in both offscreen documents, neither view ever showed
 * anything but the call, both end up back in the call with a working link and
 * live video in the view, chat works both ways, and Next tells the partner.
 */
export async function provesCallSurvives(
  a: { browser: Browser; page: Page },
  b: { browser: Browser; page: Page },
  fault: () => Promise<void>,
): Promise<{ seenA: string[]; seenB: string[] }> {
  const [offA, offB] = await Promise.all([offscreenPage(a.browser), offscreenPage(b.browser)]);
  for (const off of [offA, offB]) await expect.poll(() => offscreenGrowth(off, 'framesDecoded', 300), { timeout: 15_000, interval: 0 }).toBeGreaterThan(0);
  const [viewA, viewB] = await Promise.all([recordView(a.page), recordView(b.page)]);
  const [framesA, framesB] = [watchFrames(offA), watchFrames(offB)];

  await fault();
  await Promise.all([waitForCallBack(a.page), waitForCallBack(b.page)]);

  const [statsA, statsB] = await Promise.all([framesA.stop(), framesB.stop()]);
  expect(statsA.longestStallMs, 'A: stranger video stalled').toBeLessThan(STALL_LIMIT_MS);
  expect(statsB.longestStallMs, 'B: stranger video stalled').toBeLessThan(STALL_LIMIT_MS);
  const [seenA, seenB] = await Promise.all([viewA(), viewB()]);
  for (const seen of [seenA, seenB]) {
    for (const entry of seen) expect(['matched', 'partner-away'], `shown: ${seen.join(' → ')}`).toContain(entry.split('/')[0]);
  }
  // The view plays the stranger (its clock advances; how many frames it paints depends on the machine's load).
  for (const page of [a.page, b.page]) {
    const sample = await sampleVideo(page, 'Stranger', 1500);
    expect(sample.advanced).toBeGreaterThan(0.5);
    expect(sample.frames).toBeGreaterThan(0);
  }

  await sendChat(a.page, 'still there?');
  await waitForChat(b.page, 'still there?');
  await sendChat(b.page, 'yes, all good');
  await waitForChat(a.page, 'yes, all good');

  await clickButton(a.page, 'Next');
  await waitForPhase(b.page, 'partner-left', 10_000);
  expect(await b.page.$eval('.stage-message', (el) => el.textContent)).toContain('moved on');
  return { seenA, seenB };
}
