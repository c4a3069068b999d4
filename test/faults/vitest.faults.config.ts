import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: faults injected into a running service — a disk filled mid-bisect
 * (a tmpfs the test mounts, so it runs as root), Redis stopped and started, a source
 * repository removed, `kbisect serve` stopped while Redis is away. Real Redis servers of
 * their own, real worker processes. Not in the default suite: it mounts file systems.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    // The disk-full and repo tests use the shared test Redis (with their own key prefixes).
    globalSetup: ['test/support/check-test-redis.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
