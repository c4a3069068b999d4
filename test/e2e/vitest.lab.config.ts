import { defineConfig } from 'vitest/config';

/**
 * `npm run test:lab`: the lab integration tests against the QEMU lab VM (kexec of prebuilt
 * kernels, boot failures, recovery). Minutes under TCG, so not in the default suite.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.lab.test.ts'],
    testTimeout: 10 * 60_000,
    // The first run builds the lab kernels cold in beforeAll: 26 min on 2 cores shared with
    // other builds, and on 2 cores shared with four engineers' tests (load 15) 30 min were
    // ~230 of ~1240 objects, and the hook's timeout killed the build.
    hookTimeout: 120 * 60_000,
    fileParallelism: false,
  },
});
