import { defineConfig } from 'vitest/config';

// The installed-package test runs last and alone (`npm run test:package`): an npm install, Prism
// and a `bench --quick` at full speed would starve the timing-sensitive tests running beside it.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
