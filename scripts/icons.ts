/** npm run icons — renders extension/icon.svg to the PNG sizes the manifest uses, with headless Chromium. */
import { readFileSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import { CHROMIUM, ensureTools } from './ensure-tools.mjs';

ensureTools();
const svg = readFileSync('extension/icon.svg', 'utf8');
const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage();
for (const size of [16, 32, 48, 128]) {
  await page.setViewport({ width: size, height: size });
  await page.setContent(`<style>html,body{margin:0;background:transparent}svg{width:${size}px;height:${size}px;display:block}</style>${svg}`);
  await page.screenshot({ path: `extension/public/icon/${size}.png`, omitBackground: true });
  console.log(`extension/public/icon/${size}.png`);
}
await browser.close();
