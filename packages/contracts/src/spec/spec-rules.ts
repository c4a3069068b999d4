import {
  RECOMMENDED_CALIBRATION_SAMPLES,
  rankTestFloor,
  STATISTICAL_POLICY_DEFAULTS,
} from '@kbisect/core';
import { oracleSpecProblems } from '@kbisect/oracle';
import type { BisectSpec } from './bisect-spec.js';

/** One thing wrong with a request, named by its JSON path, as the 400 body lists them. */
export interface SpecProblem {
  path: string;
  message: string;
}

/**
 * The rules a JSON schema cannot say: fields that only make sense together. They are the
 * same rules `kbisect run` applies to its flags, so the CLI and the API refuse the same specs.
 */
export function specProblems(spec: BisectSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const decision = spec.decision ?? {};
  if (decision.threshold !== undefined && spec.oracle.kind !== 'metric') {
    problems.push({
      path: '/decision/threshold',
      message: `applies to oracle kind "metric" only, not "${spec.oracle.kind}"`,
    });
  }
  if (
    decision.samples !== undefined &&
    decision.maxSamples !== undefined &&
    decision.maxSamples < decision.samples
  ) {
    problems.push({
      path: '/decision/maxSamples',
      message: `${decision.maxSamples} is below samples ${decision.samples}`,
    });
  }
  if ((spec.parallelTests ?? 1) > 1 && typeof spec.lab === 'object' && 'name' in spec.lab) {
    problems.push({
      path: '/parallelTests',
      message: `a named lab tests one commit at a time; for ${spec.parallelTests} at once use a pool of labs ({"pool": ...}) or lab "local" with an oracle that may run side by side`,
    });
  }
  problems.push(...unreachableDecisionProblems(spec));
  problems.push(...controlCharacterProblems(spec));
  // The same checks the worker's oracleFor makes: bad flags or files are a 400 now, not a
  // failed first sample.
  for (const problem of oracleSpecProblems(spec.oracle)) {
    problems.push({ path: `/oracle${problem.path}`, message: problem.message });
  }
  return problems;
}

/**
 * A calibrated decision whose per-commit rank test can never reach its significance: with n
 * calibration samples per endpoint, m samples of a commit give p ≥ 1/C(m+n, m). Said at
 * submission rather than after the endpoints were built and measured (`BaselinesTooSmall`).
 */
function unreachableDecisionProblems(spec: BisectSpec): SpecProblem[] {
  const decision = spec.decision ?? {};
  const calibrated =
    spec.oracle.kind === 'splice-loopback' ||
    (spec.oracle.kind === 'metric' && decision.threshold === undefined);
  if (!calibrated) return [];
  const perEndpoint = decision.calibrationSamples ?? RECOMMENDED_CALIBRATION_SAMPLES;
  const perCommit = decision.maxSamples ?? STATISTICAL_POLICY_DEFAULTS.maxSamples;
  const { alpha } = STATISTICAL_POLICY_DEFAULTS;
  if (rankTestFloor(perCommit, perEndpoint) <= alpha) return [];
  return [
    {
      path: '/decision/calibrationSamples',
      message:
        `with ${perEndpoint} calibration samples per endpoint, even ${perCommit} samples of a ` +
        `commit cannot reach p ≤ ${alpha}: calibrate on more (${RECOMMENDED_CALIBRATION_SAMPLES} ` +
        'recommended) or allow more samples per commit (maxSamples)',
    },
  ];
}

/** The good refs as a list, whichever form the request used. */
export function goodRefs(spec: BisectSpec): string[] {
  return typeof spec.good === 'string' ? [spec.good] : [...spec.good];
}

/**
 * Control characters in commands and paths: a NUL cannot reach `sh -c` at all (the spawn would
 * fail at the first build, long after the 201), and an escape or carriage return hides what a
 * command really does from whoever reads it in a log. Commands may hold tabs and newlines (a
 * multi-line script); paths, flags and values none.
 */
function controlCharacterProblems(spec: Pick<BisectSpec, 'build' | 'oracle'>): SpecProblem[] {
  const fields: [path: string, value: string | undefined, script: boolean][] = [];
  const { build, oracle } = spec;
  if (build && 'command' in build) fields.push(['/build/command', build.command, true]);
  if (build && 'kernel' in build) {
    const { kernel } = build;
    if (typeof kernel.config === 'string')
      fields.push(['/build/kernel/config', kernel.config, false]);
    else {
      for (const [i, fragment] of (kernel.config.fragments ?? []).entries())
        fields.push([`/build/kernel/config/fragments/${i}`, fragment, false]);
    }
    fields.push(['/build/kernel/cc', kernel.cc, false]);
    for (const [name, value] of Object.entries(kernel.makeVars ?? {}))
      fields.push([`/build/kernel/makeVars/${name}`, value, false]);
  }
  if (oracle && 'command' in oracle) fields.push(['/oracle/command', oracle.command, true]);
  if (oracle && oracle.kind === 'splice-loopback')
    fields.push(['/oracle/args', oracle.args, false]);
  const problems: SpecProblem[] = [];
  for (const [path, value, script] of fields) {
    if (value === undefined) continue;
    const found = (script ? SCRIPT_CONTROL : ANY_CONTROL).exec(value);
    if (!found) continue;
    const code = found[0].charCodeAt(0);
    const name =
      code === 0 ? 'a NUL byte' : `control character U+${code.toString(16).padStart(4, '0')}`;
    problems.push({
      path,
      message: `contains ${name} at offset ${found.index}; ${script ? 'commands are text (tabs and newlines allowed)' : 'no control characters allowed'}`,
    });
  }
  return problems;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
const SCRIPT_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
const ANY_CONTROL = /[\x00-\x1f\x7f]/;

/**
 * A command that asks for network (`build.network`, `oracle.network`) where this service's
 * sandbox forbids it (`sandbox.allowNetwork: false`): a 422 at submission, not a failed step.
 */
export function networkProblems(
  spec: Pick<BisectSpec, 'build' | 'oracle'>,
  allowNetwork: boolean,
): SpecProblem[] {
  if (allowNetwork) return [];
  const message = 'this service runs commands without network (sandbox.allowNetwork: false)';
  const build = spec.build && 'command' in spec.build && spec.build.network;
  const oracle = 'network' in spec.oracle && spec.oracle.network;
  return [
    ...(build ? [{ path: '/build/network', message }] : []),
    ...(oracle ? [{ path: '/oracle/network', message }] : []),
  ];
}
