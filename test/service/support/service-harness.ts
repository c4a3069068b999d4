import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApi, startApi } from '@kbisect/api';
import type { ServiceConfig } from '@kbisect/config';
import type { BisectSpec } from '@kbisect/contracts';
import { closeQueues, createQueues, type Queues } from '@kbisect/queue';
import { Redis } from 'ioredis';
import { createLoopbackProject, type LoopbackProject } from '../../fixtures/loopback-project.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../../support/test-redis.js';
import {
  type TestConfigOptions,
  type TestTokens,
  testTokens,
  writeTestConfig,
} from './test-config.js';
import { WorkerProcess } from './worker-process.js';

/** The deterministic oracle of the fixture: the culprit shrank the records. */
export const RECORD_ORACLE = "grep -q 'RECORD_SIZE 65536' main.c";

/**
 * Locks for tests that kill a worker mid-step: its jobs move on to another worker within
 * seconds (a 1.5 s lock, a stalled check every 0.75 s), not after the harness's 5 s.
 */
export const SHORT_LOCKS = { lockDurationMs: 1500, stalledIntervalMs: 750 } as const;

export type HarnessOptions = Omit<
  TestConfigOptions,
  'redisUrl' | 'prefix' | 'cacheDir' | 'tokens'
> & {
  /** A Redis of the test's own (one it stops and starts); the shared one by default. */
  redisUrl?: string;
  /** Where mirrors and worktrees go (a small file system, say); under the work dir by default. */
  cacheDir?: string;
};

/**
 * A kbisect service for one test file: a listening API in this process, real worker
 * processes started on demand, a generated C project to bisect, and its own key prefix in
 * the shared Redis. `close` stops everything and deletes every key and file it made.
 */
export class ServiceHarness {
  readonly workers: WorkerProcess[] = [];
  #queues: { redis: Redis; queues: Queues } | undefined;
  /** A directory outside every worktree where builds and oracles leave files for the test. */
  readonly markers: string;

  private constructor(
    readonly work: string,
    readonly project: LoopbackProject,
    readonly config: ServiceConfig,
    readonly configFile: string,
    readonly tokens: TestTokens,
    readonly api: RunningApi,
  ) {
    this.markers = join(work, 'markers');
    mkdirSync(this.markers);
  }

  static async start(name: string, options: HarnessOptions = {}): Promise<ServiceHarness> {
    const work = mkdtempSync(join(tmpdir(), `kbisect-${name}-`));
    const project = createLoopbackProject(join(work, 'repo'));
    const tokens = testTokens();
    const { file, config } = await writeTestConfig(work, {
      prefix: uniquePrefix(name),
      tokens,
      ...options,
      redisUrl: options.redisUrl ?? TEST_REDIS_URL,
      cacheDir: options.cacheDir ?? join(work, 'cache'),
    });
    const api = await startApi({ ...config, log: { level: 'warn' } });
    return new ServiceHarness(work, project, config, file, tokens, api);
  }

  /**
   * A service for tests that kill worker processes mid-step and watch its commands from
   * outside: short locks (SHORT_LOCKS), and no sandbox, so builds and oracles can write to
   * `markers` (bwrap mounts the host read-only) and a killed worker's commands live on as
   * they would unsandboxed (bwrap's --die-with-parent would end them on its own).
   */
  static startForWorkerKills(name: string, options: HarnessOptions = {}): Promise<ServiceHarness> {
    return ServiceHarness.start(name, {
      ...SHORT_LOCKS,
      ...options,
      sections: { ...options.sections, sandbox: { mode: 'none' } },
    });
  }

  async startWorker(env: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
    const worker = new WorkerProcess(this.configFile, env);
    this.workers.push(worker);
    await worker.ready();
    return worker;
  }

  /** The spec the service tests submit: the fixture, `make -s`, the exit-code oracle. */
  spec(overrides: Partial<BisectSpec> = {}): BisectSpec {
    return {
      repo: this.project.dir,
      good: 'v1.0',
      bad: 'main',
      build: { command: 'make -s' },
      oracle: { kind: 'command', command: RECORD_ORACLE },
      ...overrides,
    };
  }

  request(
    method: string,
    path: string,
    {
      body,
      token,
      headers = {},
    }: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return fetch(`${this.api.url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async submit(spec: BisectSpec = this.spec()): Promise<string> {
    const response = await this.request('POST', '/v1/bisects', {
      body: spec,
      token: this.tokens.writer,
    });
    if (response.status !== 201)
      throw new Error(`POST /v1/bisects: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { id: string }).id;
  }

  async bisect(id: string): Promise<BisectViewBody> {
    const response = await this.request('GET', `/v1/bisects/${id}`);
    if (response.status !== 200)
      throw new Error(`GET: ${response.status} ${await response.text()}`);
    return (await response.json()) as BisectViewBody;
  }

  /** Polls until the bisect ended, or throws after `timeoutMs` with the workers' logs. */
  async waitForEnd(id: string, timeoutMs = 90_000): Promise<BisectViewBody> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.bisect(id);
      if (!['queued', 'running'].includes(view.status)) return view;
      if (Date.now() > deadline) {
        throw new Error(
          `bisect ${id} still ${view.status} after ${timeoutMs} ms; worker logs:\n${this.workerLogs()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The last `chars` of each worker's output, for the message of a test that timed out. */
  workerLogs(chars = 4000): string {
    return this.workers.map((w) => w.output.slice(-chars)).join('\n---\n');
  }

  /** The service's BullMQ queues, for tests that look at or act on jobs; closed by `close`. */
  queues(): Queues {
    if (!this.#queues) {
      const redis = new Redis(this.config.redis.url, { maxRetriesPerRequest: null });
      this.#queues = { redis, queues: createQueues(redis, this.config.redis.prefix) };
    }
    return this.#queues.queues;
  }

  async close(): Promise<void> {
    if (this.#queues) {
      await closeQueues(this.#queues.queues);
      await this.#queues.redis.quit();
    }
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.api.close();
    await deleteKeys(this.config.redis.url, this.config.redis.prefix);
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** What GET /v1/bisects/:id answers, as far as tests look at it. */
export interface BisectViewBody {
  id: string;
  status: string;
  cancelRequested?: boolean;
  progress?: {
    phase: string;
    commit: string;
    commits?: string[];
    remaining: number;
    stepsLeft: number;
  };
  range: { bad: string; goods: string[]; commits: number; firstParent: boolean };
  journal: {
    commit: string;
    verdict: string;
    source: string;
    evidence?: Record<string, unknown>;
    round?: number;
  }[];
  result?: {
    status: string;
    culprit: string | null;
    subject: string | null;
    steps: number;
    oracleRuns: number;
    log: string;
    error?: string;
    confirmations?: { check: string; passed: boolean }[];
  };
  commits?: { sha: string; subject: string }[];
}
