import type { Redis } from 'ioredis';
import type { Keys } from '../keys.js';

/** Bucket bounds in seconds: a build of a toy project to a kernel build with a cold ccache. */
export const STEP_BUCKETS = [1, 5, 15, 60, 300, 900, 3600] as const;

export type StepKind = 'build' | 'test';

export interface StepHistogram {
  kind: StepKind;
  /** Cumulative counts per bucket bound, as Prometheus `le` buckets; +Inf is `count`. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/**
 * Step durations, observed by workers and exposed by the API's /metrics: the processes that
 * measure and the one that is scraped differ, so the histogram lives in Redis as counters.
 */
export class StepMetrics {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async observe(kind: StepKind, seconds: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const le of STEP_BUCKETS) {
      if (seconds <= le) pipeline.hincrby(this.keys.stepMetrics, `${kind}:le:${le}`, 1);
    }
    pipeline.hincrby(this.keys.stepMetrics, `${kind}:count`, 1);
    pipeline.hincrbyfloat(this.keys.stepMetrics, `${kind}:sum`, seconds);
    await pipeline.exec();
  }

  async read(): Promise<StepHistogram[]> {
    const hash = await this.redis.hgetall(this.keys.stepMetrics);
    const number = (field: string) => Number(hash[field] ?? 0);
    return (['build', 'test'] as const).map((kind) => ({
      kind,
      buckets: STEP_BUCKETS.map((le) => ({ le, count: number(`${kind}:le:${le}`) })),
      sum: number(`${kind}:sum`),
      count: number(`${kind}:count`),
    }));
  }
}
