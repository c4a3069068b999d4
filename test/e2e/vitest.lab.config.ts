import { defineConfig } from 'vitest/config';

/**
 * `npm run test:lab`: the lab integration tests against the QEMU lab VM (kexec of prebuilt
 * kernels, boot failures, recovery). Minutes under TCG, so not in the default suite.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.lab.test.ts'],
    testTimeout: 10 * 60_000,
    hookTimeout: 30 * 60_000,
    fileParallelism: false,
  },
});
