import type { BisectOutcome, BisectRange, JournalEntry } from '@kbisect/core';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { ResultObject, resultObjectOf } from './result-object.js';

const [good, parent, culprit, bad] = ['1', '2', '3', '4'].map((n) => n.repeat(40)) as [
  string,
  string,
  string,
  string,
];
const range: BisectRange = {
  bad,
  goods: [good],
  commits: [
    { sha: bad, parents: [culprit] },
    { sha: culprit, parents: [parent] },
    { sha: parent, parents: [good] },
  ],
};

/** A kernel bisect that found `culprit`, the builds signed as given (none: a build command). */
function outcomeWith(signatures: { parent?: string; culprit?: string }): BisectOutcome {
  const entry = (commit: string, verdict: 'good' | 'bad', signature?: string): JournalEntry => ({
    commit,
    verdict,
    source: 'oracle',
    evidence: {
      build: { ok: true, seconds: 90, ...(signature ? { signature } : {}) },
      samples: [{ value: verdict === 'good' ? 9 : 1, seconds: 1 }],
    },
  });
  return {
    result: { kind: 'found', culprit },
    journal: [
      entry(bad, 'bad', `text:${'b'.repeat(64)}`),
      entry(good, 'good', `text:${'a'.repeat(64)}`),
      entry(parent, 'good', signatures.parent),
      entry(culprit, 'bad', signatures.culprit),
    ],
    confirmations: [],
    totals: { steps: 4, oracleRuns: 4, buildSeconds: 360, testSeconds: 4, totalSeconds: 370 },
  };
}

const resultOf = (outcome: BisectOutcome) =>
  resultObjectOf(
    outcome,
    range,
    [{ sha: culprit, subject: 'mm: reword a comment' }],
    'higher-is-better',
  );

describe('resultObjectOf', () => {
  it("warns when the culprit's kernel has the code of its parent's", () => {
    const same = `text:${'c'.repeat(64)}`;
    const object = resultOf(outcomeWith({ parent: same, culprit: same }));

    expect(object.warnings).toEqual([
      "the culprit's kernel has the same code as its parent's (.text signature cccccccccccc…): " +
        'the commit probably does not change the kernel; suspect the test or noise',
    ]);
    expect(Value.Check(ResultObject, JSON.parse(JSON.stringify(object)))).toBe(true);
  });

  it('has no warnings field when there is nothing to doubt or nothing known', () => {
    const changed = resultOf(
      outcomeWith({ parent: `text:${'c'.repeat(64)}`, culprit: `text:${'d'.repeat(64)}` }),
    );
    const commandBuilds = resultOf(outcomeWith({}));

    expect(changed).not.toHaveProperty('warnings');
    expect(commandBuilds).not.toHaveProperty('warnings');
    expect(commandBuilds.status).toBe('found');
  });

  it("names the likelihood ratio in the effect when it decided the culprit, with the rank test's p", () => {
    const outcome = outcomeWith({});
    const decided = outcome.journal.map((entry) =>
      entry.commit === culprit
        ? {
            ...entry,
            evidence: {
              ...entry.evidence,
              decision: {
                method: 'rank-test' as const,
                summary: 'bad',
                rule: 'likelihood-ratio',
                likelihoodRatio: { logBad: Math.log(8000), threshold: Math.log(1000) },
              },
            },
          }
        : entry,
    );
    const ratio = resultOf({ ...outcome, journal: decided });
    const rank = resultOf(outcome);

    expect(ratio.effect).toBe(
      '-89% (9 → 1), likelihood ratio 8000 ≥ 1000 (rank test p = 0.5), 1 + 1 samples',
    );
    expect(rank.effect).toBe('-89% (9 → 1), p = 0.5, 1 + 1 samples');
  });
});
