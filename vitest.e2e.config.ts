import { defineConfig } from 'vitest/config';

/**
 * End-to-end browser tests: a real `node dist/main.js` (as after `npm ci && npm start`) driven by Debian's
 * Chromium through playwright-core. Run with `npx vitest run -c vitest.e2e.config.ts` (TEST_DB=sqlite: SQLite only).
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    // PostgreSQL server (unless TEST_DB=sqlite), then the build `npm start` would do, once.
    globalSetup: ['test/support/global-setup.ts', 'test/e2e/global-build.ts'],
    pool: 'forks',
    // One server and one browser at a time: the machine has 2 cores.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
  },
});
