import {
  LocalRunner,
  localTarget,
  type Oracle,
  type OracleSpec,
  type OracleTarget,
  oracleFor,
} from '@kbisect/oracle';

/**
 * Oracles by spec and target, made once per process: an oracle may compile its
 * benchmark on first use, which must not happen again for every sample. The worker host is
 * the default target; a lab hands its own (one object per lab, so one oracle per lab).
 */
export class Oracles {
  readonly #made = new Map<OracleTarget, Map<string, Promise<Oracle>>>();
  readonly #local: OracleTarget = localTarget(new LocalRunner());

  constructor(private readonly cacheDir: string) {}

  get(spec: OracleSpec, target: OracleTarget = this.#local): Promise<Oracle> {
    let bySpec = this.#made.get(target);
    if (!bySpec) {
      bySpec = new Map();
      this.#made.set(target, bySpec);
    }
    const key = JSON.stringify(spec);
    const made = bySpec.get(key);
    if (made) return made;
    const oracle = oracleFor(spec, { target, cacheDir: this.cacheDir });
    oracle.catch(() => bySpec.delete(key));
    bySpec.set(key, oracle);
    return oracle;
  }
}
