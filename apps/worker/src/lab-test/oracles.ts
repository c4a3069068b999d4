import { LocalRunner, type Oracle, type Runner } from '@kbisect/oracle';
import { type OracleSpec, oracleFor } from '@kbisect/queue';

/**
 * Oracles by spec, made once per process: the splice-loopback oracle compiles its benchmark
 * on first use, which must not happen again for every sample.
 */
export class Oracles {
  readonly #bySpec = new Map<string, Promise<Oracle>>();
  readonly #runner: Runner = new LocalRunner();

  constructor(private readonly cacheDir: string) {}

  get(spec: OracleSpec): Promise<Oracle> {
    const key = JSON.stringify(spec);
    let oracle = this.#bySpec.get(key);
    if (!oracle) {
      oracle = oracleFor(spec, { runner: this.#runner, cacheDir: this.cacheDir });
      oracle.catch(() => this.#bySpec.delete(key));
      this.#bySpec.set(key, oracle);
    }
    return oracle;
  }
}
