import { KernelBuilder, type KernelBuildSpec } from '@kbisect/build';
import type { Sandbox } from '@kbisect/sandbox';

/**
 * Kernel builders by spec, made once per process (each resolves its toolchain and hashes its
 * config fragments). They share one cache directory: build trees, artifacts and ccache, so a
 * kernel built once on this host (by this worker or by `npm run e2e:kernel`) is never
 * rebuilt. Each spec gets one O= tree per build this worker runs at once
 * (`worker.concurrency.build`), so a build queued ahead never waits for a real build's tree,
 * nor a real build for its. The build job publishes each artifact's image and modules in
 * Redis, so lab-test jobs on other hosts get them from there (publishKernel, docs/service.md).
 */
export class KernelBuilders {
  readonly #bySpec = new Map<string, Promise<KernelBuilder>>();

  constructor(
    private readonly cacheDir: string,
    private readonly sandbox: Sandbox,
    /** O= trees per spec: the builds this worker runs at once. */
    private readonly trees = 1,
  ) {}

  get(spec: KernelBuildSpec): Promise<KernelBuilder> {
    const key = JSON.stringify(spec);
    let builder = this.#bySpec.get(key);
    if (!builder) {
      builder = KernelBuilder.create({
        spec,
        cacheDir: this.cacheDir,
        sandbox: this.sandbox,
        trees: this.trees,
      });
      builder.catch(() => this.#bySpec.delete(key));
      this.#bySpec.set(key, builder);
    }
    return builder;
  }
}
