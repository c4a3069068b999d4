import { describe, expect, it } from 'vitest';
import { OracleAborted } from './errors.js';
import { exitCodePolicy } from './exit-code-policy.js';

const exit = (exitCode: number | undefined) => [{ exitCode, seconds: 1 }];

describe('exitCodePolicy', () => {
  const policy = exitCodePolicy();

  it('decides on a single run', () => {
    expect(policy.initialSamples).toBe(1);
  });

  it('follows git bisect run: 0 good, 125 skip, 1-127 bad', () => {
    expect(policy.decide(exit(0))).toMatchObject({ kind: 'verdict', verdict: 'good' });
    expect(policy.decide(exit(125))).toMatchObject({
      verdict: 'skip',
      skipReason: 'oracle-skip',
    });
    for (const code of [1, 2, 124, 126, 127]) {
      expect(policy.decide(exit(code))).toMatchObject({ verdict: 'bad' });
    }
  });

  it('aborts on 128 and above, negative codes, or no code, carrying the code', () => {
    for (const code of [128, 137, 255, -1, undefined]) {
      let caught: unknown;
      try {
        policy.decide(exit(code));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(OracleAborted);
      expect((caught as OracleAborted).exitCode).toBe(code);
    }
  });

  it('calls a hung run bad', () => {
    expect(policy.decide([{ seconds: 600, hang: true }])).toMatchObject({ verdict: 'bad' });
  });
});
