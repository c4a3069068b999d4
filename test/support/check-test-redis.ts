import { RequirementMissing } from './requirement.js';
import { testRedis } from './test-redis.js';

/**
 * Vitest global setup: most suites need the test Redis, and without it each would wait out
 * its own timeout. A missing Redis fails the run at once with how to get one.
 */
export default async function checkTestRedis(): Promise<void> {
  const redis = await testRedis();
  if (redis.missing !== undefined) throw new RequirementMissing([redis]);
}
