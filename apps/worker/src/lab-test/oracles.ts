import { join } from 'node:path';
import {
  LocalRunner,
  localTarget,
  type Oracle,
  type OracleSpec,
  type OracleTarget,
  oracleFor,
  runsUserCode,
} from '@kbisect/oracle';
import { Sandbox } from '@kbisect/sandbox';

/**
 * Oracles by spec and target, made once per process: an oracle may compile its
 * benchmark on first use, which must not happen again for every sample. The worker host is
 * the default target; a lab hands its own (one object per lab, so one oracle per lab).
 * On the worker host, an oracle that runs the user's code runs in the sandbox; one that runs
 * only kbisect's own program runs unconfined (`runsUserCode`), with the same clean environment
 * and process-group records.
 */
export class Oracles {
  readonly #made = new Map<OracleTarget, Map<string, Promise<Oracle>>>();
  readonly #local: OracleTarget;
  readonly #localUnconfined: OracleTarget;

  /** Without `sandbox`, commands get a clean environment only (tests of the lab path). */
  constructor(
    private readonly cacheDir: string,
    sandbox: Sandbox = Sandbox.cleanEnvironmentOnly(join(cacheDir, 'sandbox')),
  ) {
    this.#local = localTarget(new LocalRunner({ sandbox }));
    this.#localUnconfined = localTarget(new LocalRunner({ sandbox: sandbox.unconfined() }));
  }

  get(spec: OracleSpec, target?: OracleTarget): Promise<Oracle> {
    const on = target ?? (runsUserCode(spec) ? this.#local : this.#localUnconfined);
    let bySpec = this.#made.get(on);
    if (!bySpec) {
      bySpec = new Map();
      this.#made.set(on, bySpec);
    }
    const key = JSON.stringify(spec);
    const made = bySpec.get(key);
    if (made) return made;
    const oracle = oracleFor(spec, { target: on, cacheDir: this.cacheDir });
    oracle.catch(() => bySpec.delete(key));
    bySpec.set(key, oracle);
    return oracle;
  }
}
