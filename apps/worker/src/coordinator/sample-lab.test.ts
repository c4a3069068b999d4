import { describe, expect, it } from 'vitest';
import { sampleLab } from './sample-lab.js';

const up = async (lab: string) => lab !== 'down-1';
const pool = { pool: 'x86' };

describe('sampleLab', () => {
  it("sends a pool commit's first sample to the pool and the later ones to the lab that ran it", async () => {
    expect(await sampleLab(pool, 0, undefined, up)).toEqual(pool);
    expect(await sampleLab(pool, 1, 'rack-3', up)).toEqual({ name: 'rack-3' });
    expect(await sampleLab(pool, 7, 'rack-3', up)).toEqual({ name: 'rack-3' });
  });

  it('goes back to the pool when that lab went down, or when no lab was named', async () => {
    expect(await sampleLab(pool, 1, 'down-1', up)).toEqual(pool);
    expect(await sampleLab(pool, 1, undefined, up)).toEqual(pool);
  });

  it('keeps local and named labs where they are', async () => {
    expect(await sampleLab('local', 3, 'rack-3', up)).toBe('local');
    expect(await sampleLab({ name: 'a' }, 3, 'rack-3', up)).toEqual({ name: 'a' });
  });
});
