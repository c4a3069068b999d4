import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackProject, createLoopbackProject } from '../fixtures/loopback-project.js';
import { runKbisect } from './kbisect-cli.js';

let work: string;
let project: LoopbackProject;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-cli-run-'));
  project = createLoopbackProject(join(work, 'repo'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

/** Deterministic oracle: the culprit is the commit that shrank the records. */
const RECORD_ORACLE = "command:grep -q 'RECORD_SIZE 65536' main.c";

describe('kbisect run on a generated C project with merges and unbuildable commits', () => {
  it('names the planted culprit with an exit-code oracle, and its git bisect log replays to it', async () => {
    const r = await runKbisect([
      'run', '--repo', project.dir, '--good', 'v1.0', '--bad', 'main', '--build', 'make -s',
      '--oracle', RECORD_ORACLE, '--cache-dir', join(work, 'cache-a'), '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.status).toBe('found');
    expect(r.json?.culprit).toBe(project.culprit);
    expect(r.json?.subject).toBe('sender: flush every 512-byte record immediately');
    expect(Number(r.json?.steps)).toBeGreaterThan(2);
    expect(Number(r.json?.oracleRuns)).toBeGreaterThanOrEqual(Number(r.json?.steps) - 2);

    // The export is a real `git bisect log`: replaying it in a clone lands on the culprit.
    const clone = join(work, 'replay');
    execFileSync('git', ['clone', '-q', project.dir, clone]);
    const logFile = join(work, 'bisect.log');
    writeFileSync(logFile, String(r.json?.log));
    const replay = execFileSync('git', ['bisect', 'replay', logFile], { cwd: clone, encoding: 'utf8' });
    expect(replay).toContain(`${project.culprit} is the first bad commit`);
    git(clone, 'bisect', 'reset');
  });

  it('with --first-parent names the merge that brought the regression in', async () => {
    const r = await runKbisect([
      'run', '--repo', project.dir, '--good', 'v1.0', '--bad', 'main', '--build', 'make -s',
      '--oracle', RECORD_ORACLE, '--first-parent', '--cache-dir', join(work, 'cache-b'), '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const merge = git(project.dir, 'log', '--merges', '--format=%H', '-1', '--grep', 'records', 'main');
    expect(r.json?.culprit).toBe(merge);
    expect(project.unbuildable).not.toContain(r.json?.culprit);
  });

  it('finds the culprit by measuring real loopback throughput, calibrated on the endpoints', async () => {
    const r = await runKbisect([
      'run', '--repo', project.dir, '--good', 'v1.0', '--bad', 'main', '--build', 'make -s',
      '--oracle', 'metric:./lbench', '--cache-dir', join(work, 'cache-c'), '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.culprit).toBe(project.culprit);
    expect(String(r.json?.effect)).toMatch(/-\d+%/);
    const tested = (r.json?.log as string).split('\n').filter((l) => l.startsWith('git bisect skip'));
    for (const line of tested) expect(project.unbuildable).toContain(line.split(' ').at(-1));
  });

  it('prints a readable report with the culprit, its author and the tested commits', async () => {
    const r = await runKbisect([
      'run', '--repo', project.dir, '--good', 'v1.0', '--bad', 'main', '--build', 'make -s',
      '--oracle', RECORD_ORACLE, '--cache-dir', join(work, 'cache-d'), '--no-confirm',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${project.culprit} is the first bad commit`);
    expect(r.stdout).toContain('Author:   Lab Tester <tester@kbisect.invalid>');
    expect(r.stdout).toMatch(/Tested commits:/);
    expect(r.stdout).toMatch(/revisions tested: \d+, oracle runs: \d+, total time/);
    expect(r.stderr).toMatch(/candidates left, roughly \d+ steps/);
  });

  it('removes its worktrees when interrupted with Ctrl-C', async () => {
    const cache = join(work, 'cache-e');
    let sent = false;
    const r = await runKbisect(
      [
        'run', '--repo', project.dir, '--good', 'v1.0', '--bad', 'main',
        '--oracle', 'command:sleep 30', '--cache-dir', cache,
      ],
      {
        onStderr: (text, child) => {
          if (!sent && /testing /.test(text)) {
            sent = true;
            setTimeout(() => child.kill('SIGINT'), 300);
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(readdirSync(join(cache, 'worktrees'))).toEqual([]);
    for (const mirror of readdirSync(join(cache, 'mirrors'))) {
      const list = git(join(cache, 'mirrors', mirror), 'worktree', 'list');
      expect(list.split('\n')).toHaveLength(1);
    }
  });
});
