import { InvalidRange } from './errors/invalid-range.js';
import type { BisectRange } from './range.js';

/**
 * The commits of a range as small integers (their position in `range.commits`), so the
 * bisection can use typed arrays instead of maps of shas.
 */
export interface CommitGraph {
  readonly shas: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Parents inside the range, first parent first; parents outside it are ancestors of a good. */
  readonly parents: readonly (readonly number[])[];
  /** The first parent when it is inside the range, else -1: a first-parent walk stops there. */
  readonly firstParent: Int32Array;
  /** Every commit once, parents before children. */
  readonly topoOrder: Int32Array;
  /** Index of `range.bad`. */
  readonly bad: number;
  readonly goods: ReadonlySet<string>;
}

const rangeShape = 'commits must be what `git rev-list --parents <bad> ^<good>...` prints';

/** Checks the range and indexes it; throws `InvalidRange` saying what is wrong. */
export function commitGraph(range: BisectRange): CommitGraph {
  if (range.goods.length === 0) {
    throw new InvalidRange('no good commit: give at least one commit known to be good');
  }
  const index = new Map<string, number>();
  const shas: string[] = [];
  for (const node of range.commits) {
    if (index.has(node.sha)) {
      throw new InvalidRange(`commit ${node.sha} is listed twice; ${rangeShape}`, node.sha);
    }
    index.set(node.sha, shas.length);
    shas.push(node.sha);
  }
  const bad = index.get(range.bad);
  if (bad === undefined) {
    throw new InvalidRange(
      `the bad commit ${range.bad} is not among the commits; ${rangeShape}`,
      range.bad,
    );
  }
  const goods = new Set(range.goods);
  for (const good of goods) {
    if (good === range.bad) {
      throw new InvalidRange(`commit ${good} is both the bad and a good commit`, good);
    }
    if (index.has(good)) {
      throw new InvalidRange(`the good commit ${good} is among the commits; ${rangeShape}`, good);
    }
  }

  const parents: number[][] = [];
  const firstParent = new Int32Array(shas.length).fill(-1);
  for (const [i, node] of range.commits.entries()) {
    const inside: number[] = [];
    for (const parent of node.parents) {
      const p = index.get(parent);
      if (p !== undefined && !inside.includes(p)) inside.push(p);
    }
    const first = node.parents[0] === undefined ? undefined : index.get(node.parents[0]);
    if (first !== undefined) firstParent[i] = first;
    parents.push(inside);
  }

  const topoOrder = topologicalOrder(shas, parents);
  const reached = ancestors({ parents }, [bad]);
  const stray = reached.indexOf(0);
  if (stray !== -1) {
    const sha = shas[stray] as string;
    throw new InvalidRange(
      `commit ${sha} is not an ancestor of the bad commit; ${rangeShape}`,
      sha,
    );
  }
  return { shas, index, parents, firstParent, topoOrder, bad, goods };
}

/** Kahn's algorithm; a commit left over sits on a cycle, which no git history has. */
function topologicalOrder(
  shas: readonly string[],
  parents: readonly (readonly number[])[],
): Int32Array {
  const n = shas.length;
  const pending = new Int32Array(n);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let c = 0; c < n; c++) {
    for (const p of parents[c] ?? []) {
      children[p]?.push(c);
      pending[c] = (pending[c] as number) + 1;
    }
  }
  const order = new Int32Array(n);
  let done = 0;
  const ready: number[] = [];
  for (let c = n - 1; c >= 0; c--) if (pending[c] === 0) ready.push(c);
  for (let c = ready.pop(); c !== undefined; c = ready.pop()) {
    order[done++] = c;
    for (const child of children[c] ?? []) {
      pending[child] = (pending[child] as number) - 1;
      if (pending[child] === 0) ready.push(child);
    }
  }
  if (done < n) {
    const sha = shas[pending.findIndex((count) => count > 0)] as string;
    throw new InvalidRange(`the parents form a cycle through ${sha}; ${rangeShape}`, sha);
  }
  return order;
}

/**
 * Marks `starts` and every commit reachable from them through in-range parents. Commits
 * already set in `stop` are neither marked nor walked through.
 */
export function ancestors(
  graph: Pick<CommitGraph, 'parents'>,
  starts: Iterable<number>,
  stop?: Uint8Array,
): Uint8Array {
  const mark = new Uint8Array(graph.parents.length);
  const stack: number[] = [];
  for (const start of starts) {
    if (!mark[start] && !stop?.[start]) {
      mark[start] = 1;
      stack.push(start);
    }
  }
  for (let c = stack.pop(); c !== undefined; c = stack.pop()) {
    for (const p of graph.parents[c] ?? []) {
      if (!mark[p] && !stop?.[p]) {
        mark[p] = 1;
        stack.push(p);
      }
    }
  }
  return mark;
}
