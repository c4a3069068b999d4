import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // test/faults runs as `npm run test:faults` (it mounts file systems, as root).
    exclude: ['test/e2e/**', 'test/faults/**', '**/node_modules/**'],
    globalSetup: ['test/support/check-test-redis.ts'],
    // Twice what the slowest default-timeout test takes at load 8 (a whole `kbisect run`:
    // 15-25 s quiet, 50 s there); tests that take longer set their own.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests start real processes and sockets; two cores are shared.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
