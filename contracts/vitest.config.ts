import { defineConfig } from 'vitest/config';

// Consumer tests write contracts/pacts/; they run first, on their own, before everything that verifies them.
export default defineConfig({
  test: {
    include: ['contracts/consumer/**/*.pact.test.ts'],
    globalSetup: ['contracts/clear-pacts.ts'],
    testTimeout: 30_000,
    fileParallelism: false,
    // Pact's mock server can report a request it did receive and answer as "expected but not
    // received" on a busy machine (pact-js#1835; seen once in CI here). One retry: a missing
    // request still fails both tries, and the retry writes no extra interaction to the pact.
    retry: 1,
  },
});
