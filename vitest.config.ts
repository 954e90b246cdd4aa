import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // End-to-end files each start Chromium; one file at a time keeps two cores from thrashing.
    fileParallelism: false,
  },
});
