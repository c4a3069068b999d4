import { createHash } from 'node:crypto';
import type { BisectRange, CommitNode } from '../range.js';

/**
 * Test support: random kernel-like histories (a main line, side branches forking from recent
 * commits, merging back, sometimes merging main into themselves) and ranges on them, built
 * with plain sets so they share no code with the core under test.
 */
export interface History {
  /** Newest first, as `git rev-list` prints them; `commits[last]` is the root. */
  commits: CommitNode[];
  root: string;
  tip: string;
  /** Creation order (parents before children), for writing the history into git. */
  created: string[];
}

/** Mulberry32: a small seeded generator, so every history is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fakeSha(seed: number, i: number): string {
  return createHash('sha1').update(`${seed}:${i}`).digest('hex');
}

/** A history of a root plus about `size` commits (a few more when open branches merge at the end). */
export function randomHistory(seed: number, size: number): History {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const parents: number[][] = [[]];
  const branches: { tip: number }[] = [];
  let main = 0;
  const add = (ps: number[]) => {
    parents.push(ps);
    return parents.length - 1;
  };
  const mergeChance = 0.05 + random() * 0.2;
  const sideChance = random() * 0.6;
  for (let i = 1; i <= size; i++) {
    const r = random();
    if (branches.length > 0 && r < mergeChance) {
      const branch = pick(branches);
      branches.splice(branches.indexOf(branch), 1);
      main = add([main, branch.tip]);
    } else if (r < mergeChance + sideChance) {
      if (branches.length > 0 && (branches.length >= 8 || random() < 0.6)) {
        const branch = pick(branches);
        branch.tip = add(random() < 0.05 ? [branch.tip, main] : [branch.tip]);
      } else {
        const recent = Math.max(0, parents.length - 30);
        const fork = recent + Math.floor(random() * (parents.length - recent));
        branches.push({ tip: add([fork]) });
      }
    } else {
      main = add([main]);
    }
  }
  for (const branch of branches) main = add([main, branch.tip]);

  const shas = parents.map((_, i) => fakeSha(seed, i));
  const nodes = parents.map((ps, i) => ({
    sha: shas[i] as string,
    parents: ps.map((p) => shas[p] as string),
  }));
  return {
    commits: nodes.slice(0, main + 1).reverse(),
    root: shas[0] as string,
    tip: shas[main] as string,
    created: shas.slice(0, main + 1),
  };
}

/** A straight line of `n` commits on top of a root: the shape where git's estimates are exact. */
export function linearHistory(seed: number, n: number): History {
  const shas = Array.from({ length: n + 1 }, (_, i) => fakeSha(seed, i));
  const commits = shas.map((sha, i) => ({ sha, parents: i === 0 ? [] : [shas[i - 1] as string] }));
  return {
    commits: commits.reverse(),
    root: shas[0] as string,
    tip: shas[n] as string,
    created: shas,
  };
}

/** The commit and all its ancestors. */
export function ancestorsOf(
  commits: readonly CommitNode[],
  starts: readonly string[],
): Set<string> {
  const parentsOf = new Map(commits.map((c) => [c.sha, c.parents]));
  const seen = new Set<string>();
  const stack = [...starts];
  for (let sha = stack.pop(); sha !== undefined; sha = stack.pop()) {
    if (seen.has(sha)) continue;
    seen.add(sha);
    stack.push(...(parentsOf.get(sha) ?? []));
  }
  return seen;
}

/** What `git rev-list --parents bad ^good...` prints on this history. */
export function rangeOf(
  history: History,
  bad: string,
  goods: string[],
  firstParent = false,
): BisectRange {
  const wanted = ancestorsOf(history.commits, [bad]);
  for (const sha of ancestorsOf(history.commits, goods)) wanted.delete(sha);
  const commits = history.commits.filter((c) => wanted.has(c.sha));
  return { bad, goods, commits, ...(firstParent ? { firstParent } : {}) };
}

/** The commits of a first-parent walk from `bad` that `goods` do not reach. */
export function firstParentChain(history: History, bad: string, goods: string[]): string[] {
  const good = ancestorsOf(history.commits, goods);
  const parentsOf = new Map(history.commits.map((c) => [c.sha, c.parents]));
  const chain: string[] = [];
  for (let sha: string | undefined = bad; sha && !good.has(sha); sha = parentsOf.get(sha)?.[0]) {
    chain.push(sha);
  }
  return chain;
}
