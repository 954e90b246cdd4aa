import { defineConfig } from 'vitest/config';
import { WxtVitest } from 'wxt/testing/vitest-plugin';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // End-to-end files each start Chromium; one file at a time keeps two cores from thrashing.
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['tests/{unit,server,store,live,cluster,e2e}/**/*.test.ts'] },
      },
      {
        // Extension code against WXT's fake browser (chrome/browser stubbed, wxt/browser mocked).
        extends: true,
        plugins: [WxtVitest()],
        test: { name: 'extension', include: ['tests/extension/**/*.test.ts'] },
      },
    ],
  },
});
