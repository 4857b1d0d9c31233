import { defineConfig } from 'vitest/config';

// CI runs test files and the tests inside each file in a random order, so a test that leans on another
// test's data (in its file or another) fails there first. The seed is printed; RAPPORT_TEST_SEED=<seed>
// replays an order (shuffled locally too). Issue 16: each test makes its own fixtures and passes alone
// (-t) and in any order.
const seed = process.env.RAPPORT_TEST_SEED ? Number(process.env.RAPPORT_TEST_SEED) : undefined;
const shuffle = Boolean(process.env.CI) || seed !== undefined;
const shuffleSeed = seed ?? Date.now() % 1_000_000;
if (shuffle) console.log(`vitest: shuffled order, RAPPORT_TEST_SEED=${shuffleSeed} replays it`);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: PGlite, PostgreSQL, Redis and Dovecot tests compete for CPU; keep parallelism modest.
    maxWorkers: 2,
    fileParallelism: true,
    // A shared beforeAll may set up what never changes (a server, a database); what a test reads or
    // counts it writes itself.
    sequence: { shuffle: { files: shuffle, tests: shuffle }, seed: shuffleSeed },
  },
});
