import { describe, expect, it } from 'vitest';
import { watchSpecFromFlags } from './watch.js';

const flags = {
  repo: 'https://git.example/linux.git',
  branch: 'main',
  cron: '0 2 * * *',
  oracle: 'splice-loopback',
  buildTimeout: '3600',
  oracleTimeout: '600',
  confirm: true,
};

describe('kbisect watch add', () => {
  it('watches stalled time with --splice-measure stalls, lower being better', () => {
    const spec = watchSpecFromFlags({ ...flags, spliceMeasure: 'stalls' });
    expect(spec.oracle).toMatchObject({ kind: 'splice-loopback', measure: 'stalls' });
    expect(spec.decision?.direction).toBe('lower-is-better');
  });

  it('keeps the rate, higher being better, by default', () => {
    const spec = watchSpecFromFlags(flags);
    expect(spec.oracle).not.toHaveProperty('measure');
    expect(spec.decision?.direction).toBe('higher-is-better');
  });
});
