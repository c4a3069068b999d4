import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // test/faults runs as `npm run test:faults` (it mounts file systems, as root).
    exclude: ['test/e2e/**', 'test/faults/**', '**/node_modules/**'],
    globalSetup: ['test/support/check-test-redis.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real processes and sockets; two cores are shared.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
