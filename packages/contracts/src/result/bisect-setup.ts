import { CALIBRATION_DEFAULTS, formatPercent, STATISTICAL_POLICY_DEFAULTS } from '@kbisect/core';
import type { OracleSpec } from '@kbisect/oracle';
import { type Static, Type } from 'typebox';
import { redactUrl } from '../redact-url.js';
import type { BisectSpec } from '../spec/bisect-spec.js';
import { DEFAULT_CALIBRATION_SAMPLES, decisionSetup } from '../spec-to-env.js';

/**
 * What ran where, as LKP heads its mails with testcase, test machine and parameters: the
 * part known before the first step, from the bisect's spec. What only the run knows (the lab
 * that ran each commit, the kernel release, the compiler's version) is in the journal, and
 * the reports read it there. Every field is a line a person reads, not a value to compute with.
 */
export const BisectSetup = Type.Object(
  {
    repository: Type.String(),
    range: Type.String({ description: 'the endpoints as the user named them, good..bad' }),
    build: Type.String({ description: 'the build command, or the kernel build spec' }),
    lab: Type.String({ description: 'where the oracle ran: local, a lab pool or a named lab' }),
    oracle: Type.String(),
    decision: Type.String({ description: 'how samples become verdicts, defaults resolved' }),
    recipe: Type.Optional(Type.String()),
  },
  { description: 'what ran where: repository, range, build, lab, oracle, decision settings' },
);
export type BisectSetup = Static<typeof BisectSetup>;

/** The spec fields the setup is made of; `kbisect run` makes them from its options. */
export type SetupSource = Pick<
  BisectSpec,
  'repo' | 'good' | 'bad' | 'build' | 'lab' | 'oracle' | 'decision' | 'firstParent' | 'recipe'
> & { bootFailure?: BisectSpec['bootFailure'] };

export function bisectSetupOf(spec: SetupSource): BisectSetup {
  const goods = Array.isArray(spec.good) ? spec.good : [spec.good];
  const setup: BisectSetup = {
    // A URL may carry a password; the report goes to people who must not see it.
    repository: /^[a-z][a-z0-9+.-]*:\/\//i.test(spec.repo) ? redactUrl(spec.repo) : spec.repo,
    range: `${goods.join(' ')}..${spec.bad}${spec.firstParent ? ' (first parents)' : ''}`,
    build: buildText(spec.build),
    lab: labText(spec),
    oracle: oracleText(spec.oracle),
    decision: decisionText(spec),
  };
  if (spec.recipe) setup.recipe = spec.recipe;
  return setup;
}

function buildText(build: BisectSpec['build']): string {
  if (!build) return 'none (the oracle runs in the checked-out tree)';
  if ('command' in build) return `command: ${build.command}`;
  const k = build.kernel;
  const parts = [
    typeof k.config === 'string'
      ? `config ${k.config}`
      : `make ${k.config.defconfig}${k.config.fragments?.length ? ` + fragments ${k.config.fragments.join(', ')}` : ''}`,
  ];
  if (k.arch) parts.push(`arch ${k.arch}`);
  if (k.crossCompile) parts.push(`cross ${k.crossCompile}`);
  parts.push(`cc ${k.cc ?? 'gcc'}`);
  if (k.targets?.length) parts.push(`targets ${k.targets.join(' ')}`);
  const vars = Object.entries(k.makeVars ?? {});
  if (vars.length) parts.push(vars.map(([name, value]) => `${name}=${value}`).join(' '));
  return `kernel: ${parts.join('; ')}`;
}

function labText(spec: SetupSource): string {
  const lab = spec.lab ?? 'local';
  const where =
    lab === 'local' ? 'local (the worker host)' : 'pool' in lab ? `pool ${lab.pool}` : lab.name;
  return spec.bootFailure === 'bad' ? `${where}; a kernel that does not boot is bad` : where;
}

function oracleText(oracle: OracleSpec): string {
  switch (oracle.kind) {
    case 'command':
      return `command: ${oracle.command}`;
    case 'metric':
      return `metric: ${oracle.command}`;
    case 'splice-loopback':
      return [
        'splice-loopback',
        oracle.args?.trim(),
        oracle.measure ? `(measure ${oracle.measure})` : '',
      ]
        .filter(Boolean)
        .join(' ');
  }
}

function decisionText(spec: SetupSource): string {
  const d = spec.decision ?? {};
  const { direction, policy } = decisionSetup(spec.oracle, d);
  if (spec.oracle.kind === 'command') return 'exit code: 0 good, 125 skip, 1-127 bad';
  if (policy) return `threshold ${d.threshold}, ${direction}, ${d.samples ?? 1} sample(s) a commit`;
  const p = STATISTICAL_POLICY_DEFAULTS;
  const c = CALIBRATION_DEFAULTS;
  return [
    `Mann-Whitney U, ${direction}`,
    `calibration up to ${d.calibrationSamples ?? DEFAULT_CALIBRATION_SAMPLES} runs of each endpoint at alpha ${d.alpha ?? c.alpha}, min effect ${formatPercent(d.minEffect ?? c.minEffect).replace('+', '')}`,
    `${d.samples ?? p.initialSamples} to ${d.maxSamples ?? p.maxSamples} runs a commit, verdict at p <= ${p.alpha} or, far from both baselines, likelihood ratio >= ${Math.round(1 / p.alpha)}`,
  ].join('; ');
}
