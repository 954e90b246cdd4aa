/**
 * The moderator console in a real browser, against the real extension in
 * real Chromium: a report reaches the top of the queue, a ban shows in the
 * banned person's extension at once and refuses their reconnect, their appeal
 * reaches the console, and lifting the ban lets them start again.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CHROMIUM, clickButton, openPerson, startCall, waitForPhase, type Person } from '../helpers/browser';
import { MODERATOR, moderators } from '../helpers/mod-client';
import { connectClient, startServer, type TestServer } from '../helpers/server';

const opened: Array<{ close(): Promise<unknown> }> = [];
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  for (const s of servers.splice(0)) await s.close();
});

/** The moderator's own browser: plain Chromium, no extension. */
async function moderatorPage(): Promise<Page> {
  const browser: Browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  opened.push(browser);
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  return page;
}

async function installIdOf(person: Person): Promise<string> {
  return person.page.evaluate(async () => {
    for (;;) {
      const { installId } = await chrome.storage.local.get('installId');
      if (typeof installId === 'string') return installId;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

/** Clicks a button by its accessible name inside the element matching `scope`. */
async function clickIn(page: Page, scope: string, name: string) {
  await page.locator(`${scope} ::-p-aria([name="${name}"][role="button"])`).click();
}

describe('moderator console', () => {
  it('sign in, the reported person on top, ban shows at once and refuses the reconnect, the appeal arrives, lift lets them start', { timeout: 120_000 }, async () => {
    const server = await startServer({ MODERATORS: await moderators() });
    servers.push(server);
    // Someone reported for spam earlier, less urgent than what follows.
    await server.store.addReport({ reporterId: crypto.randomUUID(), reportedId: crypto.randomUUID(), matchId: 'earlier', reason: 'spam', at: new Date() });

    const alice = await openPerson(server.url);
    const bob = await openPerson(server.url);
    opened.push(alice, bob);
    const bobId = await installIdOf(bob);
    await startCall(alice.page, bob.page);
    await clickButton(alice.page, 'Report');
    await alice.page.locator('input[value="nudity"]').click();
    await alice.page.locator('#report-details').fill('showed himself on camera');
    await clickButton(alice.page, 'Report and end the call');
    await waitForPhase(bob.page, 'partner-left');
    // Bob goes on looking for someone: he is connected when the ban comes.
    await clickButton(bob.page, 'Next');
    await waitForPhase(bob.page, 'waiting');

    const mod = await moderatorPage();
    await mod.goto(`${server.url}/mod`);
    expect(new URL(mod.url()).pathname).toBe('/mod/sign-in');
    await mod.locator('::-p-aria([name="Name"][role="textbox"])').fill(MODERATOR.name);
    await mod.locator('input[type="password"]').fill(MODERATOR.password);
    await Promise.all([mod.waitForNavigation(), mod.locator('::-p-aria([name="Sign in"][role="button"])').click()]);
    expect(new URL(mod.url()).pathname).toBe('/mod');
    const top = await mod.$eval('article.person', (el) => ({ id: el.getAttribute('data-install-id'), text: el.textContent ?? '' }));
    expect(top.id).toBe(bobId);
    expect(top.text).toContain('nudity');
    expect(top.text).toContain('showed himself on camera');

    // Ban for a day: Bob's extension shows it at once.
    const card = `article.person[data-install-id="${bobId}"]`;
    await mod.select(`${card} select[name="length"]`, '86400');
    await mod.select(`${card} select[name="reason"]`, 'nudity');
    const bannedAt = Date.now();
    await Promise.all([mod.waitForNavigation(), clickIn(mod, card, 'Ban')]);
    await bob.page.waitForSelector('.ban-notice', { timeout: 5000 });
    const shownAfterMs = Date.now() - bannedAt;
    await waitForPhase(bob.page, 'idle');
    const notice = await bob.page.$eval('.ban-notice', (el) => el.textContent ?? '');
    expect(notice).toContain('Banned until');
    expect(notice).toContain('Reason: Nudity or sexual content');
    expect(shownAfterMs).toBeLessThan(5000);

    // His reconnect is refused: Start comes back to the ban, and a socket with his id is turned away.
    await bob.page.evaluate(() => {
      const seen: string[] = ((window as unknown as { phases: string[] }).phases = []);
      const main = document.querySelector('main')!;
      new MutationObserver(() => seen.push(main.getAttribute('data-phase') ?? '')).observe(main, { attributeFilter: ['data-phase'] });
    });
    await clickButton(bob.page, 'Start');
    // He tried (starting), was refused, and is back at the ban.
    await bob.page.waitForFunction(
      () => (window as unknown as { phases: string[] }).phases.join(',').endsWith('starting,idle') && document.querySelector('.ban-notice'),
      { polling: 100, timeout: 10_000 },
    );
    await expect(connectClient(server.url, { installId: bobId })).rejects.toThrow('banned');

    // His appeal reaches the console.
    await bob.page.locator('#appeal-text').fill('I was showing my tattoo, nothing else.');
    await clickButton(bob.page, 'Send appeal');
    await bob.page.waitForSelector('.appeal-sent', { timeout: 5000 });
    await mod.goto(`${server.url}/mod/appeals`);
    const appeal = await mod.$eval(`article.person[data-install-id="${bobId}"]`, (el) => el.textContent ?? '');
    expect(appeal).toContain('I was showing my tattoo, nothing else.');

    // Lift: he can start again at once.
    await Promise.all([mod.waitForNavigation(), clickIn(mod, `article.person[data-install-id="${bobId}"]`, 'Lift ban')]);
    await clickButton(bob.page, 'Start');
    await waitForPhase(bob.page, 'waiting');
    expect(await bob.page.$('.ban-notice')).toBeNull();

    // Every action is in the audit log.
    await mod.goto(`${server.url}/mod/audit`);
    const actions = await mod.$$eval('tbody tr td:nth-child(3) b', (cells) => cells.map((c) => c.textContent));
    expect(actions).toEqual(['lift', 'ban']);
  });

  it('the rules gate links to this server\'s privacy policy, in the browser\'s language', { timeout: 60_000 }, async () => {
    const server = await startServer();
    servers.push(server);
    for (const lang of ['en', 'fr']) {
      const person = await openPerson(server.url, { firstTime: true, launch: { lang } });
      opened.push(person);
      await person.page.locator('.controls button.primary').click();
      await waitForPhase(person.page, 'rules');
      const href = await person.page.$eval('.rules .privacy-link a', (a) => (a as HTMLAnchorElement).href);
      expect(href).toBe(`${server.url}/privacy?lang=${lang}`);
      const page = await fetch(href).then((res) => res.text());
      expect(page).toContain(lang === 'en' ? 'What is never collected' : 'Ce qui n’est jamais collecté');
    }
  });
});
