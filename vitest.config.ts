import { defineConfig } from 'vitest/config';

// CI runs test files in a random order, so a test that leans on another file's data fails there first.
// The seed is printed; RAPPORT_TEST_SEED=<seed> replays an order (shuffled locally too).
// RAPPORT_SHUFFLE_TESTS=1 shuffles the tests inside each file too: not in CI yet, because the first CI run
// with it found order dependencies in about ten files that are not all fixed (see the README's Tests).
const seed = process.env.RAPPORT_TEST_SEED ? Number(process.env.RAPPORT_TEST_SEED) : undefined;
const shuffle = Boolean(process.env.CI) || seed !== undefined;
const shuffleTests = process.env.RAPPORT_SHUFFLE_TESTS === '1';
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
    // Files shuffle; tests inside them when asked (issue 16: each test makes its own fixtures and passes
    // alone with -t, in any order). A shared beforeAll may set up what never changes (a server, a
    // database); what a test reads or counts it writes itself.
    sequence: { shuffle: { files: shuffle, tests: shuffle && shuffleTests }, seed: shuffleSeed },
  },
});
