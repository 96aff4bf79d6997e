import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Consumer pact tests run first, on their own (contracts/vitest.config.ts), and the installed
    // package's test last, alone (test/package/vitest.config.ts); everything else here.
    include: ['test/**/*.test.ts', 'contracts/provider/**/*.test.ts', 'contracts/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/package/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: more workers only make servers started by tests fight for them.
    maxWorkers: 2,
  },
});
