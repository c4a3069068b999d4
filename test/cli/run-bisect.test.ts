import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedJournal } from '../service/support/expected-journal.js';
import { needs, XMLLINT } from '../support/requirements.js';
import { runKbisect, useLoopbackProject } from './kbisect-cli.js';

const fixture = useLoopbackProject('kbisect-cli-run-');

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

/** The whole generated history, built with its Makefile. */
const bisectV1ToMain = ['run', '--good', 'v1.0', '--bad', 'main', '--build', 'make -s'];

/** Deterministic oracle: the culprit is the commit that shrank the records. */
const RECORD_ORACLE = "command:grep -q 'RECORD_SIZE 65536' main.c";

describe('kbisect run on a generated C project with merges and unbuildable commits', () => {
  it('names the planted culprit with an exit-code oracle, and its git bisect log replays to it', async () => {
    const r = await runKbisect([
      ...bisectV1ToMain,
      '--repo',
      fixture.project.dir,
      '--oracle',
      RECORD_ORACLE,
      '--cache-dir',
      join(fixture.work, 'cache-a'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.status).toBe('found');
    expect(r.json?.culprit).toBe(fixture.project.culprit);
    // Each build says what it runs and where, as the service's builds do.
    expect(r.stderr).toMatch(/build [0-9a-f]{12}: `make -s` in \/\S+ on \S+/);
    expect(r.json?.subject).toBe('sender: flush every 512-byte record immediately');
    expect(Number(r.json?.steps)).toBeGreaterThan(2);
    expect(Number(r.json?.oracleRuns)).toBeGreaterThanOrEqual(Number(r.json?.steps) - 2);

    // The export is a real `git bisect log`: replaying it in a clone lands on the culprit.
    const clone = join(fixture.work, 'replay');
    execFileSync('git', ['clone', '-q', fixture.project.dir, clone]);
    const logFile = join(fixture.work, 'bisect.log');
    writeFileSync(logFile, String(r.json?.log));
    const replay = execFileSync('git', ['bisect', 'replay', logFile], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(replay).toContain(`${fixture.project.culprit} is the first bad commit`);
    git(clone, 'bisect', 'reset');
  });

  it('with --first-parent names the merge that brought the regression in', async () => {
    const r = await runKbisect([
      ...bisectV1ToMain,
      '--repo',
      fixture.project.dir,
      '--oracle',
      RECORD_ORACLE,
      '--first-parent',
      '--cache-dir',
      join(fixture.work, 'cache-b'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const merge = git(
      fixture.project.dir,
      'log',
      '--merges',
      '--format=%H',
      '-1',
      '--grep',
      'records',
      'main',
    );
    expect(r.json?.culprit).toBe(merge);
    expect(fixture.project.unbuildable).not.toContain(r.json?.culprit);
  });

  it('finds the culprit by measuring real loopback throughput, calibrated on the endpoints', async () => {
    const r = await runKbisect([
      ...bisectV1ToMain,
      '--repo',
      fixture.project.dir,
      '--oracle',
      'metric:./lbench',
      '--calibration-samples',
      '12',
      '--cache-dir',
      join(fixture.work, 'cache-c'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.culprit).toBe(fixture.project.culprit);
    expect(String(r.json?.effect)).toMatch(/-\d+%/);
    // A commit is skipped only because it does not build, or because its measurement stayed
    // unclear at the cap: real loopback throughput on a loaded CI machine can, rarely, leave a
    // built commit between good and bad (seen once in CI). The journal must say which.
    const journal = r.json?.journal as {
      commit: string;
      verdict: string;
      evidence?: { skipReason?: string; samples?: unknown[] };
    }[];
    const skips = String(r.json?.log ?? '')
      .split('\n')
      .filter((l) => l.startsWith('git bisect skip'))
      .map((l) => l.split(' ').at(-1));
    for (const commit of skips) {
      const entry = journal.findLast((e) => e.commit === commit);
      expect(entry?.verdict, `journal entry of skipped ${commit}`).toBe('skip');
      if (fixture.project.unbuildable.includes(commit ?? '')) {
        expect(entry?.evidence?.skipReason).toBe('build-failed');
      } else {
        expect(entry?.evidence?.skipReason, `why ${commit} was skipped`).toBe('unclear');
        expect(entry?.evidence?.samples?.length).toBeGreaterThan(0);
      }
    }
  });

  it('never guesses: a culprit hidden behind a commit that does not compile is inconclusive', async () => {
    // The property appears in the commit that does not compile; it can only be narrowed to
    // that commit and its buildable child, and kbisect must say exactly that.
    const [broken] = fixture.project.unbuildable;
    const parent = git(fixture.project.dir, 'rev-parse', `${broken}^`);
    const child =
      git(
        fixture.project.dir,
        'rev-list',
        '--reverse',
        '--ancestry-path',
        `${broken}..timing`,
      ).split('\n')[0] ?? '';
    const r = await runKbisect([
      'run',
      '--repo',
      fixture.project.dir,
      '--good',
      parent,
      '--bad',
      child,
      '--build',
      'make -s',
      '--oracle',
      "command:! git log --format=%s | grep -q 'precise clock'",
      '--cache-dir',
      join(fixture.work, 'cache-f'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.json?.status).toBe('inconclusive');
    expect(r.json?.culprit).toBeNull();
    expect([...((r.json?.candidates ?? []) as string[])].sort()).toEqual([broken, child].sort());
    const journal = r.json?.journal as {
      commit: string;
      verdict: string;
      evidence?: { build?: { logTail?: string } };
    }[];
    const skipped = journal.find((e) => e.commit === broken);
    expect(skipped?.verdict).toBe('skip');
    expect(skipped?.evidence?.build?.logTail).toMatch(/now_precise/);
    expect(String(r.json?.log)).toContain(`git bisect skip ${broken}`);
  });

  it('prints a readable report with the culprit, its author and the tested commits', async () => {
    const r = await runKbisect([
      ...bisectV1ToMain,
      '--repo',
      fixture.project.dir,
      '--oracle',
      RECORD_ORACLE,
      '--cache-dir',
      join(fixture.work, 'cache-d'),
      '--no-confirm',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${fixture.project.culprit} is the first bad commit`);
    expect(r.stdout).toContain('Author:   Lab Tester <tester@kbisect.invalid>');
    expect(r.stdout).toMatch(/Tested commits:/);
    expect(r.stdout).toMatch(/revisions tested: \d+, oracle runs: \d+, total time/);
    expect(r.stderr).toMatch(/candidates left, roughly \d+ steps, about \d+ (s|min)/);
  });

  it('with --parallel-tests 3 tests three commits at once, each round recorded in a fixed order', async () => {
    const SLOTS = 3;
    const spans = join(fixture.work, 'spans');
    // Each test notes when it started and ended (ms): a round's tests must overlap.
    const oracle =
      `command:s=$(date +%s%3N); sleep 0.5; grep -q 'RECORD_SIZE 65536' main.c; v=$?; ` +
      `echo "$KBISECT_COMMIT $s $(date +%s%3N)" >> ${spans}; exit $v`;
    const r = await runKbisect([
      ...bisectV1ToMain,
      '--repo',
      fixture.project.dir,
      '--oracle',
      oracle,
      '--parallel-tests',
      String(SLOTS),
      '--no-confirm',
      '--cache-dir',
      join(fixture.work, 'cache-parallel'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.culprit).toBe(fixture.project.culprit);
    const journal = r.json?.journal as { commit: string; verdict: string; round?: number }[];
    const expected = await expectedJournal(fixture.project, join(fixture.work, 'ref'), SLOTS);
    expect(journal.map((e) => `${e.commit} ${e.verdict} round ${e.round ?? '-'}`)).toEqual(
      expected,
    );
    expect(r.stderr).toMatch(
      /testing 3 commits at once \([0-9a-f]{12}, [0-9a-f]{12}, [0-9a-f]{12}\)/,
    );
    // The tests of the first full round ran side by side: each started before any ended.
    const span = new Map(
      readFileSync(spans, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' '))
        .map(([commit, start, end]) => [commit, [Number(start), Number(end)]]),
    );
    const firstFull = journal.find(
      (e) => journal.filter((f) => e.round !== undefined && f.round === e.round).length === SLOTS,
    );
    const round = journal.filter((e) => firstFull && e.round === firstFull.round);
    expect(round).toHaveLength(SLOTS);
    const times = round.map((e) => span.get(e.commit) as number[]);
    const lastStart = Math.max(...times.map(([start]) => start as number));
    const firstEnd = Math.min(...times.map(([, end]) => end as number));
    expect(lastStart).toBeLessThan(firstEnd);
  });

  it('refuses --parallel-tests that is not a whole number of commits from 1 to 64', async () => {
    const r = await runKbisect([
      ...bisectV1ToMain,
      '--repo',
      fixture.project.dir,
      '--oracle',
      RECORD_ORACLE,
      '--parallel-tests',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--parallel-tests '0': expected a whole number of commits, 1 to 64");
  });

  it('writes JUnit XML that the CI schema accepts and a Markdown summary', async (context) => {
    needs(context, XMLLINT);
    const junit = join(fixture.work, 'reports', 'kbisect.xml');
    const markdown = join(fixture.work, 'reports', 'kbisect.md');
    const r = await runKbisect([
      ...bisectV1ToMain,
      '--repo',
      fixture.project.dir,
      '--oracle',
      RECORD_ORACLE,
      '--cache-dir',
      join(fixture.work, 'cache-g'),
      '--no-confirm',
      '--junit',
      junit,
      '--markdown',
      markdown,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const schema = join(import.meta.dirname, '../../packages/report/schema/JUnit.xsd');
    execFileSync('xmllint', ['--noout', '--schema', schema, junit], { stdio: 'pipe' });
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(fixture.project.culprit);
    // The setup `kbisect run` knows, in both files.
    expect(xml).toContain(
      `<property name="kbisect.setup.repository" value="${fixture.project.dir}"/>`,
    );
    expect(xml).toContain('<property name="kbisect.setup.build" value="command: make -s"/>');
    expect(xml).toContain('<property name="kbisect.setup.range" value="v1.0..main (good..bad)');
    const md = readFileSync(markdown, 'utf8');
    expect(md).toContain('sender: flush every 512-byte record immediately');
    expect(md).toContain(`| repository | ${fixture.project.dir} |`);
    expect(md).toContain('| lab | local (the worker host) |');
  });

  it('removes its worktrees when interrupted with Ctrl-C', async () => {
    const cache = join(fixture.work, 'cache-e');
    let sent = false;
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
        'command:sleep 30',
        '--cache-dir',
        cache,
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
    // Fresh worktrees are gone; the build slots stay for the next run, given back (no hold).
    expect(readdirSync(join(cache, 'worktrees'))).toEqual(['slots']);
    const held = readdirSync(join(cache, 'worktrees', 'slots'), { recursive: true }).filter(
      (name) => String(name).endsWith('.held'),
    );
    expect(held).toEqual([]);
    const mirrors = readdirSync(join(cache, 'mirrors'), { withFileTypes: true }).filter((e) =>
      e.isDirectory(),
    );
    expect(mirrors).toHaveLength(1);
    for (const { name: mirror } of mirrors) {
      // The mirror itself and its slots: no registered worktree outside them.
      const list = git(join(cache, 'mirrors', mirror), 'worktree', 'list').split('\n');
      expect(list.slice(1).every((line) => line.includes('/slots/'))).toBe(true);
    }
  });
});
