import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKbisect, useLoopbackProject } from './kbisect-cli.js';

const fixture = useLoopbackProject('kbisect-cli-splice-');

describe('kbisect run --oracle splice-loopback', () => {
  it('answers not-distinguishable when every commit runs on the same kernel', async () => {
    // The commits of this repository do not change the kernel this machine runs, so good
    // and bad measure alike: the honest answer is "cannot reproduce", never a culprit.
    const r = await runKbisect(
      [
        'run',
        '--repo',
        fixture.project.dir,
        '--good',
        'v1.0',
        '--bad',
        'main',
        '--oracle',
        'splice-loopback:--duration 0.5 --response-size 16384',
        '--calibration-samples',
        '5',
        // Same kernel, so no real difference; a 50% floor keeps load from other tests on this
        // shared machine (which drifts between the bad and the good samples) from faking one.
        '--min-effect',
        '0.5',
        '--cache-dir',
        join(fixture.work, 'cache'),
        '--json',
      ],
      { timeoutMs: 170_000 },
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.json?.status).toBe('not-distinguishable');
    expect(r.json?.culprit).toBeNull();
    const baselines = r.json?.baselines as { good: { median: number }; bad: { median: number } };
    expect(baselines.good.median).toBeGreaterThan(0);
    expect(baselines.bad.median).toBeGreaterThan(0);
    expect(String(r.json?.error)).toMatch(/median/);
  }, 180_000);
});
