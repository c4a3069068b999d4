import type { Redis } from 'ioredis';
import type { Keys } from '../keys.js';

/**
 * The hosts that run workers, as the workers announce them at start. The API cannot know them
 * from its configuration, but lists their `lab-test.host.<host>` queues in /metrics and
 * bull-board; labs and pools it knows from its `labs`.
 */
export class LabTestHosts {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async announce(host: string): Promise<void> {
    await this.redis.zadd(this.keys.labTestHosts, String(Date.now()), host);
  }

  async list(): Promise<string[]> {
    return this.redis.zrange(this.keys.labTestHosts, '0', '-1');
  }
}
