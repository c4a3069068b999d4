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

  it('measures stalled time with --splice-measure stalls, lower being better by itself', async () => {
    // Same kernel again, and one that does not stall: 0 ms/s on both sides, which no rank
    // test can tell apart. The direction comes from the measure, not from a flag.
    const r = await runKbisect(
      [
        'run',
        ...['--repo', fixture.project.dir, '--good', 'v1.0', '--bad', 'main'],
        ...['--oracle', 'splice-loopback:--duration 0.3 --response-size 16384'],
        ...['--splice-measure', 'stalls', '--calibration-samples', '5'],
        ...['--cache-dir', join(fixture.work, 'cache'), '--json'],
      ],
      { timeoutMs: 170_000 },
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.json?.status).toBe('not-distinguishable');
    expect(r.json?.baselines).toMatchObject({
      direction: 'lower-is-better',
      good: { median: 0, samples: 5 },
      bad: { median: 0, samples: 5 },
    });
  }, 180_000);

  it('refuses --higher-is-better with --splice-measure stalls before building anything', async () => {
    const r = await runKbisect([
      'run',
      ...['--repo', fixture.project.dir, '--good', 'v1.0', '--bad', 'main'],
      ...['--oracle', 'splice-loopback', '--splice-measure', 'stalls', '--higher-is-better'],
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'kbisect: --higher-is-better contradicts --splice-measure stalls: stalled time is lower-is-better',
    );
  });
});
