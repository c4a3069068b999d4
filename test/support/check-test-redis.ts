import { inCI, RequirementMissing } from './requirement.js';
import { testRedis } from './test-redis.js';

/**
 * Vitest global setup: most suites need the test Redis, and without it each would wait out
 * its own timeout. Under CI a missing Redis fails the run at once with how to get one;
 * elsewhere one line says so before the suites that need it fail.
 */
export default async function checkTestRedis(): Promise<void> {
  const redis = await testRedis();
  if (redis.missing === undefined) return;
  if (inCI()) throw new RequirementMissing([redis]);
  console.warn(`\n${redis.missing}: the suites that use Redis will fail. ${redis.install}\n`);
}
