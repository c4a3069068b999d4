import type { BisectRange, CommitNode } from '../src/range.js';
import type { Prng } from './prng.js';

/** A synthetic range with its ground truth: which commit made things slower. */
export interface History {
  range: BisectRange;
  culprit: string;
  /** Commits at or after the culprit: they carry the regression. */
  bad: ReadonlySet<string>;
  /** Commits whose build fails; the driver skips them without measuring. */
  unbuildable: ReadonlySet<string>;
}

export interface HistoryShape {
  size: number;
  /** Chance, per mainline commit, that a side branch starts there and is merged later. */
  branchRate: number;
  buildFailureRate: number;
}

const GOOD = 'good';

/**
 * A mainline with occasional side branches merged back (merge commits have the mainline as
 * first parent), the shape of a kernel release cycle in miniature. Oldest commit first.
 */
export function makeHistory(rng: Prng, shape: HistoryShape): History {
  const commits: CommitNode[] = [];
  let next = 0;
  const add = (parents: string[]) => {
    const sha = `c${next++}`;
    commits.push({ sha, parents });
    return sha;
  };
  let tip = GOOD;
  while (commits.length < shape.size) {
    const left = shape.size - commits.length;
    if (left >= 5 && rng.next() < shape.branchRate) {
      const fork = tip;
      let side = fork;
      const sideLength = rng.int(1, Math.min(20, left - 3));
      for (let i = 0; i < sideLength; i++) side = add([side]);
      let main = fork;
      const mainLength = rng.int(1, Math.max(1, Math.min(20, shape.size - commits.length - 1)));
      for (let i = 0; i < mainLength; i++) main = add([main]);
      tip = add([main, side]);
    } else {
      tip = add([tip]);
    }
  }
  const culpritNode = commits[rng.int(0, commits.length - 1)] as CommitNode;
  const culprit = culpritNode.sha;

  const children = new Map<string, string[]>();
  for (const c of commits) {
    for (const p of c.parents) children.set(p, [...(children.get(p) ?? []), c.sha]);
  }
  const bad = new Set<string>([culprit]);
  const queue = [culprit];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop() as string) ?? []) {
      if (!bad.has(child)) {
        bad.add(child);
        queue.push(child);
      }
    }
  }

  // The culprit and its parents always build: when they do not, no oracle can name the
  // culprit, and the table would measure the build model instead of the statistics.
  const mustBuild = new Set([tip, culprit, ...culpritNode.parents]);
  const unbuildable = new Set(
    commits
      .filter((c) => !mustBuild.has(c.sha) && rng.next() < shape.buildFailureRate)
      .map((c) => c.sha),
  );
  return { range: { bad: tip, goods: [GOOD], commits }, culprit, bad, unbuildable };
}
