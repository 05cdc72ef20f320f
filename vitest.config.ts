import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'roles/**/*.test.ts', 'playbooks/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
    // Lab tests share one Docker engine and 2 cores: run files one by one.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
