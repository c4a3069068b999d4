import { makeRepo, type TestRepo } from './make-repo.js';

/** The shas of `makeMergeHistory`, named by their place in the graph. */
export interface MergeHistory {
  repo: TestRepo;
  a: string;
  b: string;
  c: string;
  s1: string;
  s2: string;
  merge: string;
  d: string;
}

/**
 * A small history with one merge, the shape first-parent bisection is about:
 *
 *     a (v1.0) - b - c - merge - d (v1.1, main)
 *                 \      /
 *                  s1 - s2   (side)
 *
 * `counter` is changed on main and `side.txt` on side, so reverting s1 on top of d
 * conflicts (s2 changed the same line) while reverting b applies cleanly.
 */
export function makeMergeHistory(dir: string): MergeHistory {
  const repo = makeRepo(dir);
  const a = repo.commit({ counter: '1\n', README: 'kernel\n' }, 'a: initial');
  repo.tag('v1.0');
  const b = repo.commit({ 'b.txt': 'b\n' }, 'b: add b.txt');
  repo.branch('side');
  const c = repo.commit({ counter: '2\n' }, 'c: bump counter');
  repo.checkout('side');
  const s1 = repo.commit({ 'side.txt': 'one\n' }, 's1: side work');
  const s2 = repo.commit({ 'side.txt': 'two\n' }, 's2: more side work');
  repo.checkout('main');
  const merge = repo.merge('side', 'Merge branch side');
  const d = repo.commit({ counter: '3\n' }, 'd: bump counter again');
  repo.tag('v1.1');
  return { repo, a, b, c, s1, s2, merge, d };
}
