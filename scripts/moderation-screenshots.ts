/**
 * Screenshots of moderation: the console (sign-in, review queue, appeals,
 * audit log) driven by real clicks, the extension's ban notice and appeal, the
 * rules with their privacy link, and the privacy page in both languages.
 * Called by scripts/screenshots.ts (`npm run screenshots -- moderation` for these only).
 */
import puppeteer, { type Page } from 'puppeteer-core';
import { CHROMIUM, launchWithExtension, openExtensionPage, prepareExtension, setServerUrl, waitForPhase } from '../tests/helpers/browser';
import { MODERATOR, moderators } from '../tests/helpers/mod-client';
import { startServer, type TestServer } from '../tests/helpers/server';

const OUT = 'docs/screenshots';
const MIN = 60_000;

/** A morning's reports, as the store would hold them after real calls. */
async function seed(server: TestServer, now: number) {
  const { store } = server;
  const person = () => crypto.randomUUID();
  const call = async (minutesAgo: number, seconds: number) => {
    const matchId = crypto.randomUUID();
    const endedAt = new Date(now - minutesAgo * MIN);
    await store.recordCall({ matchId, startedAt: new Date(endedAt.getTime() - seconds * 1000), endedAt, endReason: 'ended', durationMs: seconds * 1000 });
    return matchId;
  };
  const report = async (reportedId: string, reporterId: string, reason: 'nudity' | 'harassment' | 'spam' | 'underage' | 'other', minutesAgo: number, seconds: number, details?: string) =>
    store.addReport({ reporterId, reportedId, matchId: await call(minutesAgo, seconds), reason, ...(details && { details }), at: new Date(now - minutesAgo * MIN) });
  // A reporter who reports nearly everyone: their earlier reports were dismissed.
  const serial = person();
  for (let i = 0; i < 4; i++) {
    const r = await report(person(), serial, 'other', 600 + i, 20);
    await store.decideReport(r.id, i === 0 ? 'upheld' : 'dismissed', 'noa', new Date(now - 500 * MIN));
  }
  const trusted = person();
  const upheld = await report(person(), trusted, 'harassment', 900, 40);
  await store.decideReport(upheld.id, 'upheld', 'noa', new Date(now - 800 * MIN));

  const flasher = person();
  await report(flasher, person(), 'nudity', 4, 12, 'exposed himself right away');
  await report(flasher, trusted, 'nudity', 31, 7);
  await report(flasher, serial, 'harassment', 55, 95, 'rude');
  const spammer = person();
  await report(spammer, person(), 'spam', 12, 9, 'only pasted a link to a "free gift card" site');
  await report(spammer, person(), 'spam', 48, 6);
  const rude = person();
  await report(rude, person(), 'harassment', 20, 214, 'kept insulting me after I said stop');
  return { flasher, spammer, rude };
}

async function plainBrowser() {
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--lang=en-US'] });
}

async function save(page: Page, name: string, fullPage = false) {
  await new Promise((r) => setTimeout(r, 300));
  await page.screenshot({ path: `${OUT}/${name}.png`, fullPage });
  console.log(`saved ${OUT}/${name}.png`);
}

export async function captureModeration(): Promise<void> {
  const server = await startServer({ MODERATORS: await moderators() });
  const browser = await plainBrowser();
  const banned = await launchWithExtension();
  const bannedFr = await launchWithExtension({ lang: 'fr' });
  const firstTimer = await launchWithExtension();
  const firstTimerFr = await launchWithExtension({ lang: 'fr' });
  try {
    const now = Date.now();
    const people = await seed(server, now);
    const mod = await browser.newPage();
    await mod.setViewport({ width: 1180, height: 760 });

    await mod.goto(`${server.url}/mod`);
    await save(mod, 'mod-sign-in');
    await mod.locator('::-p-aria([name="Name"][role="textbox"])').fill(MODERATOR.name);
    await mod.locator('input[type="password"]').fill(MODERATOR.password);
    await Promise.all([mod.waitForNavigation(), mod.locator('::-p-aria([name="Sign in"][role="button"])').click()]);

    // An earlier ban the spammer appealed; the flasher is banned from the queue below.
    const spamCard = `article.person[data-install-id="${people.spammer}"]`;
    await mod.select(`${spamCard} select[name="length"]`, '86400');
    await mod.select(`${spamCard} select[name="reason"]`, 'spam');
    await Promise.all([mod.waitForNavigation(), mod.locator(`${spamCard} ::-p-aria([name="Ban"][role="button"])`).click()]);
    await server.server.moderation.appeal(people.spammer, 'That was my little brother on my laptop. He will not touch it again, sorry.');
    await mod.reload();
    await save(mod, 'mod-queue', true);

    const rudeFirst = `article.person[data-install-id="${people.rude}"] tr[data-report-id] ::-p-aria([name="Uphold"][role="button"])`;
    await Promise.all([mod.waitForNavigation(), mod.locator(rudeFirst).click()]);
    await mod.goto(`${server.url}/mod/appeals`);
    await save(mod, 'mod-appeals');
    await mod.goto(`${server.url}/mod/audit`);
    await save(mod, 'mod-audit');

    // The banned person's side: the notice, an appeal being written, then sent.
    for (const [launched, lang] of [[banned, 'en'], [bannedFr, 'fr']] as const) {
      const popup = await openExtensionPage(launched.browser, 'popup.html', { width: 380, height: 720 });
      await prepareExtension(popup, server.url);
      const installId = await popup.evaluate(async () => {
        for (;;) {
          const { installId: id } = await chrome.storage.local.get('installId');
          if (typeof id === 'string') return id;
          await new Promise((r) => setTimeout(r, 50));
        }
      });
      const card = `article.person[data-install-id="${installId}"]`;
      await server.store.addReport({ reporterId: crypto.randomUUID(), reportedId: installId, matchId: crypto.randomUUID(), reason: 'harassment', at: new Date() });
      await mod.goto(`${server.url}/mod`);
      await mod.select(`${card} select[name="length"]`, '604800');
      await mod.select(`${card} select[name="reason"]`, 'harassment');
      await Promise.all([mod.waitForNavigation(), mod.locator(`${card} ::-p-aria([name="Ban"][role="button"])`).click()]);
      await popup.locator('.controls button.primary').click();
      await popup.waitForSelector('.ban-notice');
      await popup.locator('#appeal-text').fill(lang === 'en' ? 'I only said the game was rubbish, not the person.' : 'J’ai dit que le jeu était nul, pas la personne.');
      await save(popup, `popup-light-${lang}-banned`);
      await popup.locator('.ban-notice button.primary').click();
      await popup.waitForSelector('.appeal-sent');
      await save(popup, `popup-light-${lang}-appeal-sent`);
    }

    // The rules now link to the privacy policy (as scripts/screenshots.ts takes them: interests set, first time).
    const looks = [
      { browser: firstTimer, path: 'popup', scheme: 'light', lang: 'en', viewport: { width: 380, height: 720 } },
      { browser: firstTimerFr, path: 'sidepanel', scheme: 'light', lang: 'fr', viewport: { width: 360, height: 820 } },
      { browser: firstTimerFr, path: 'sidepanel', scheme: 'dark', lang: 'fr', viewport: { width: 360, height: 820 } },
    ] as const;
    for (const look of looks) {
      const rules = await openExtensionPage(look.browser.browser, `${look.path}.html`, look.viewport);
      await rules.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: look.scheme }]);
      await setServerUrl(rules, server.url);
      await rules.evaluate(() => chrome.storage.local.set({ interests: ['music', 'travel'] }));
      await rules.reload();
      await rules.waitForSelector('main[data-phase]');
      await rules.locator('.controls button.primary').click();
      await waitForPhase(rules, 'rules');
      await save(rules, `${look.path}-${look.scheme}-${look.lang}-rules`);
      await rules.locator('.rules .controls button:not(.primary)').click();
      await waitForPhase(rules, 'idle');
      await rules.close();
    }

    const privacy = await browser.newPage();
    await privacy.setViewport({ width: 900, height: 1000 });
    for (const lang of ['en', 'fr']) {
      await privacy.goto(`${server.url}/privacy?lang=${lang}`);
      await save(privacy, `privacy-${lang}`, true);
    }
  } finally {
    await browser.close();
    await Promise.all([banned.close(), bannedFr.close(), firstTimer.close(), firstTimerFr.close()]);
    await server.close();
  }
}
