import { defineConfig } from 'vitest/config';

// Consumer tests write contracts/pacts/; they run first, on their own, before everything that verifies them.
export default defineConfig({
  test: {
    include: ['contracts/consumer/**/*.pact.test.ts'],
    globalSetup: ['contracts/clear-pacts.ts'],
    testTimeout: 30_000,
    fileParallelism: false,
  },
});
