import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: PGlite, PostgreSQL, Redis and Dovecot tests compete for CPU; keep parallelism modest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
