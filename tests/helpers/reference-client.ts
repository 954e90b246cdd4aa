/**
 * The reference client (tests/reference-client: a peer written from
 * docs/protocol.md alone) in a plain Chromium page, served from 127.0.0.1
 * (an origin the server allows by default) with socket.io-client's browser bundle.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { launchWithExtension, withNameShim, type ExtensionBrowser } from './browser';

const require = createRequire(import.meta.url);
const FILES: Record<string, { path: string; type: string }> = {
  '/': { path: new URL('../reference-client/index.html', import.meta.url).pathname, type: 'text/html' },
  '/client.js': { path: new URL('../reference-client/client.js', import.meta.url).pathname, type: 'text/javascript' },
  // The package exports no subpath for its browser bundle: find it beside package.json.
  '/socket.io.min.js': { path: join(dirname(require.resolve('socket.io-client/package.json')), 'dist/socket.io.min.js'), type: 'text/javascript' },
};

/** What the page keeps (window.reference.seen). */
export interface ReferenceSeen {
  messages: Array<Record<string, unknown>>;
  /** What it signaled, in order: `candidate`, `end-of-candidates`, `description:offer`… */
  sent: string[];
  /** The candidate lines it received (null: end of candidates). */
  received: Array<string | null>;
  events: Array<{ kind: string; detail?: string }>;
  errors: unknown[];
}

export interface ReferenceClient extends ExtensionBrowser {
  page: Page;
  seen(): Promise<ReferenceSeen>;
}

export async function openReferenceClient(serverUrl: string): Promise<ReferenceClient> {
  const http = createServer((req, res) => {
    const file = FILES[req.url ?? ''];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type }).end(readFileSync(file.path));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const launched = await launchWithExtension({ extension: false });
  const page = await withNameShim(await launched.browser.newPage());
  await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'reference' in window, { polling: 50, timeout: 10_000 });
  await page.evaluate((url) => (window as any).reference.connect(url), serverUrl);
  return {
    ...launched,
    page,
    seen: () => page.evaluate(() => structuredClone((window as any).reference.seen)),
    async close() {
      await launched.close();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
