import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KernelBuildRequest } from '@kbisect/build';
import type { BisectBody } from '@kbisect/contracts';
import {
  decisionOf,
  oracleAndDecisionOf,
  type ServiceRunOptions,
} from '../commands/run-options.js';
import { UsageError } from '../usage-error.js';

export interface ServiceOnlyOptions {
  labels: Record<string, string>;
  /** A kernel build (`--defconfig`, `--kernel-config`...) instead of `--build CMD`. */
  kernel?: KernelBuildRequest;
  webhook?: string;
  lab?: string;
}

/**
 * `kbisect start` takes the options of `kbisect run`; this says the same thing as the API's
 * JSON body. A local path is made absolute: the server resolves it on its own host, so the
 * client and the server must share the file system (same machine, or the same mount).
 */
export function specFromRunOptions(
  options: ServiceRunOptions,
  extra: ServiceOnlyOptions,
): BisectBody {
  if (extra.kernel && options.build) {
    throw new UsageError('--build and the kernel build flags (--defconfig...) exclude each other');
  }
  if ('recipe' in options && extra.kernel) {
    throw new UsageError('--recipe brings the build: drop the kernel build flags (--defconfig...)');
  }
  // A recipe's build and oracle are the service's: the spec names it and brings neither.
  const commands =
    'recipe' in options
      ? { recipe: options.recipe, decision: decisionOf(options) }
      : oracleAndDecisionOf(options);
  const lab = extra.lab;
  return {
    repo: existsSync(options.repo) ? resolve(options.repo) : options.repo,
    good: options.goods,
    bad: options.bad,
    ...(extra.kernel
      ? { build: { kernel: extra.kernel } }
      : 'oracle' in options && options.build
        ? {
            build: {
              command: options.build,
              timeoutSeconds: options.buildTimeoutMs / 1000,
              ...(options.ccache !== 'auto' ? { ccache: options.ccache } : {}),
            },
          }
        : {}),
    ...(lab === undefined || lab === 'local'
      ? {}
      : { lab: lab.startsWith('pool:') ? { pool: lab.slice(5) } : { name: lab } }),
    ...(options.bootFailure ? { bootFailure: options.bootFailure } : {}),
    ...(options.parallelTests !== undefined ? { parallelTests: options.parallelTests } : {}),
    ...commands,
    firstParent: options.firstParent,
    confirm: options.confirm,
    ...(Object.keys(extra.labels).length > 0 ? { labels: extra.labels } : {}),
    ...(extra.webhook ? { webhook: extra.webhook } : {}),
  };
}
