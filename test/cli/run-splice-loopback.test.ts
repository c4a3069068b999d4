import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoopbackProject, type LoopbackProject } from '../fixtures/loopback-project.js';
import { runKbisect } from './kbisect-cli.js';

let work: string;
let project: LoopbackProject;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-cli-splice-'));
  project = createLoopbackProject(join(work, 'repo'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('kbisect run --oracle splice-loopback', () => {
  it('answers not-distinguishable when every commit runs on the same kernel', async () => {
    // The commits of this repository do not change the kernel this machine runs, so good
    // and bad measure alike: the honest answer is "cannot reproduce", never a culprit.
    const r = await runKbisect(
      [
        'run',
        '--repo',
        project.dir,
        '--good',
        'v1.0',
        '--bad',
        'main',
        '--oracle',
        'splice-loopback:--duration 0.5 --response-size 16384',
        '--calibration-samples',
        '5',
        '--cache-dir',
        join(work, 'cache'),
        '--json',
      ],
      { timeoutMs: 180_000 },
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.json?.status).toBe('not-distinguishable');
    expect(r.json?.culprit).toBeNull();
    const baselines = r.json?.baselines as { good: { median: number }; bad: { median: number } };
    expect(baselines.good.median).toBeGreaterThan(0);
    expect(baselines.bad.median).toBeGreaterThan(0);
    expect(String(r.json?.error)).toMatch(/median/);
  });
});
