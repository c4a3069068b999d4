import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerWatchCommands, watchSpecFromFlags } from './watch.js';

/** The flags commander hands `watch add` for these arguments, as the CLI parses them. */
async function parsedAddFlags(args: string[]): Promise<Parameters<typeof watchSpecFromFlags>[0]> {
  let flags: unknown;
  const program = new Command().exitOverride();
  registerWatchCommands(program, () => async (...parsed: unknown[]) => {
    flags = parsed[0];
  });
  await program.parseAsync(['watch', 'add', ...args], { from: 'user' });
  return flags as Parameters<typeof watchSpecFromFlags>[0];
}

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

  it("takes start's build, oracle and decision options, --oracle-file included", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kbisect-watch-flags-'));
    try {
      writeFileSync(join(dir, 'measure.sh'), 'echo 42\n', { mode: 0o755 });
      const flags = await parsedAddFlags([
        ...['--repo', 'https://git.example/linux.git', '--branch', 'main', '--cron', '0 2 * * *'],
        ...['--oracle', 'metric:./measure.sh', '--oracle-file', join(dir, 'measure.sh')],
        ...['--calibration-samples', '12', '--max-samples', '9', '--no-confirm'],
      ]);
      const spec = watchSpecFromFlags(flags);
      expect(spec.oracle).toMatchObject({
        kind: 'metric',
        files: [{ path: 'measure.sh', content: 'echo 42\n', mode: 0o755 }],
      });
      expect(spec.decision).toMatchObject({ calibrationSamples: 12, maxSamples: 9 });
      expect(spec.confirm).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
