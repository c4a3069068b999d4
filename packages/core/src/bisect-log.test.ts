import { describe, expect, it } from 'vitest';
import { toBisectLog } from './bisect-log.js';
import { nextStep, ONLY_SKIPPED_LEFT } from './next-step.js';
import { marks, tinyRange } from './testing/tiny-range.js';

const merged = () =>
  tinyRange(
    `
      m c s
      s a
      c b
      b a
      a g
    `,
    { bad: 'm', goods: ['g'] },
  );
const subjects = new Map([
  ['m', 'Merge branch side'],
  ['s', 'side: add splice fast path'],
  ['c', 'tcp: autocork on MSG_MORE'],
  ['b', 'net: tidy'],
  ['a', 'Linux 3.6'],
  ['g', 'Linux 3.6-rc7'],
]);

describe('toBisectLog', () => {
  it('writes the bisect as git bisect log does: start with the endpoints, one mark per verdict', () => {
    const journal = marks('m:bad g:good b:good c:bad');
    const log = toBisectLog(merged(), journal, {
      subjects,
      result: { kind: 'found', culprit: 'c' },
    });
    expect(log).toBe(
      [
        '# bad: [m] Merge branch side',
        '# good: [g] Linux 3.6-rc7',
        "git bisect start 'm' 'g'",
        '# bad: [m] Merge branch side',
        'git bisect bad m',
        '# good: [g] Linux 3.6-rc7',
        'git bisect good g',
        '# good: [b] net: tidy',
        'git bisect good b',
        '# bad: [c] tcp: autocork on MSG_MORE',
        'git bisect bad c',
        '# first bad commit: [c] tcp: autocork on MSG_MORE',
        '',
      ].join('\n'),
    );
  });

  it('starts with --first-parent when the range follows first parents', () => {
    const log = toBisectLog({ ...merged(), firstParent: true }, []);
    expect(log).toBe("# bad: [m] \n# good: [g] \ngit bisect start '--first-parent' 'm' 'g'\n");
  });

  it('writes skips, and lists the possible first bad commits when only skipped are left', () => {
    const journal = marks('c:bad b:skip a:skip');
    const step = nextStep(merged(), journal, { checkEndpoints: false });
    const result = step.kind === 'done' ? step.result : undefined;
    expect(result).toMatchObject({ reason: ONLY_SKIPPED_LEFT });
    const log = toBisectLog(merged(), journal, { subjects, ...(result ? { result } : {}) });
    expect(log.split('\n').slice(3)).toEqual([
      '# bad: [c] tcp: autocork on MSG_MORE',
      'git bisect bad c',
      '# skip: [b] net: tidy',
      'git bisect skip b',
      '# skip: [a] Linux 3.6',
      'git bisect skip a',
      '# only skipped commits left to test',
      '# possible first bad commit: [c] tcp: autocork on MSG_MORE',
      '# possible first bad commit: [b] net: tidy',
      '# possible first bad commit: [a] Linux 3.6',
      '',
    ]);
  });

  it('keeps verdicts git could not replay as comments, so replay ends where the core did', () => {
    const journal = marks('a:skip c:bad s:bad a:good');
    const lines = toBisectLog(merged(), journal).split('\n').slice(3);
    expect(lines).toEqual([
      '# superseded by a later verdict: skip: [a] ',
      '# bad: [c] ',
      'git bisect bad c',
      '# not an ancestor of the current bad commit: bad: [s] ',
      '# good: [a] ',
      'git bisect good a',
      '',
    ]);
  });

  it('writes failed endpoint checks and their result as comments', () => {
    const goodIsBad = toBisectLog(merged(), marks('m:bad g:bad'), {
      result: { kind: 'good-is-bad', commit: 'g' },
    });
    expect(goodIsBad).toContain('# endpoint check: bad: [g] \n');
    expect(goodIsBad).not.toContain('git bisect bad g');
    expect(goodIsBad).toMatch(/# good commit tested bad, .*: \[g\] \n$/);

    const badIsGood = toBisectLog(merged(), marks('m:good'), {
      result: { kind: 'bad-is-good', commit: 'm' },
    });
    expect(badIsGood).toContain('# endpoint check: good: [m] \n');
    expect(badIsGood).toMatch(/# bad commit tested good, .*: \[m\] \n$/);
  });

  it('writes other inconclusive results with their reason', () => {
    const log = toBisectLog(merged(), marks('m:skip'), {
      result: {
        kind: 'inconclusive',
        candidates: [],
        reason: 'the bad commit could not be tested',
      },
    });
    expect(log).toMatch(
      /# endpoint check: skip: \[m\] \n# inconclusive: the bad commit could not be tested\n$/,
    );
  });
});
