import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type ServiceConfig } from '@kbisect/config';
import { stringify } from 'yaml';

export interface TestTokens {
  writer: string;
  reader: string;
  admin: string;
}

export function testTokens(): TestTokens {
  const token = () => randomBytes(16).toString('hex');
  return { writer: token(), reader: token(), admin: token() };
}

export interface TestConfigOptions {
  redisUrl: string;
  prefix: string;
  /** Mirrors, worktrees and built tools of this test. */
  cacheDir: string;
  tokens: TestTokens;
  /** Short locks make a killed worker's jobs move on within seconds. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  shutdownGraceMs?: number;
  /** Time between a running build's progress lines (default: the service's 30 s). */
  buildProgressMs?: number;
  /** The `webhooks` section (signing secret, retry tuning); absent: none, no secret. */
  webhooks?: Record<string, unknown>;
  /**
   * Most service tests read anonymously, as a dashboard on an open service would (false, the
   * default here); `'default'` leaves the key out, so the service's own default applies.
   */
  readsNeedToken?: boolean | 'default';
  /** More tokens (with policies) besides ci, viewer and ops. */
  moreTokens?: Record<string, unknown>[];
  /** Further top-level sections: recipes, repositories, watches. */
  sections?: Record<string, unknown>;
  /** Jobs a worker runs at once, per queue (default: coordinator 4, build 2, labTest 1). */
  concurrency?: { build?: number; labTest?: number };
  /** The `infrastructure` section (retries of host faults, the free-space floor). */
  infrastructure?: Record<string, unknown>;
}

/**
 * The configuration of a test service, written as a YAML file (the worker processes read it
 * with --config, as a deployment would) and loaded from it.
 */
export async function writeTestConfig(
  dir: string,
  options: TestConfigOptions,
): Promise<{ file: string; config: ServiceConfig }> {
  const file = join(dir, `kbisect-${randomBytes(3).toString('hex')}.yaml`);
  writeFileSync(
    file,
    stringify({
      redis: { url: options.redisUrl, prefix: options.prefix },
      api: { host: '127.0.0.1', port: 0 },
      auth: {
        tokens: [
          { name: 'ci', token: options.tokens.writer },
          { name: 'viewer', token: options.tokens.reader, write: false },
          { name: 'ops', token: options.tokens.admin, admin: true },
          ...(options.moreTokens ?? []),
        ],
        ...(options.readsNeedToken === 'default'
          ? {}
          : { readsNeedToken: options.readsNeedToken ?? false }),
      },
      worker: {
        // Short enough that a killed worker's jobs move on in seconds, long enough that a
        // live worker on a loaded 2-core machine renews its locks in time.
        lockDurationMs: options.lockDurationMs ?? 5000,
        stalledIntervalMs: options.stalledIntervalMs ?? 1000,
        shutdownGraceMs: options.shutdownGraceMs ?? 2000,
        ...(options.buildProgressMs ? { buildProgressMs: options.buildProgressMs } : {}),
        concurrency: { coordinator: 4, build: 2, labTest: 1, watch: 4, ...options.concurrency },
      },
      cacheDir: options.cacheDir,
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
      // Watches every few seconds keep the watch tests short.
      watches: { minIntervalSeconds: 1 },
      ...options.sections,
      ...(options.infrastructure ? { infrastructure: options.infrastructure } : {}),
      log: { level: 'info' },
    }),
  );
  // The test's own environment must not leak into the test service.
  return { file, config: await loadConfig({ file, env: {} }) };
}
