import type { Candidates } from './candidates.js';
import type { CommitGraph } from './graph.js';

/**
 * For each candidate (by position in `candidates.order`), how many candidates are its
 * ancestors, itself included: git's "weight". Testing a commit of weight w leaves w
 * candidates if it is bad and N - w if it is good.
 *
 * Along a first-parent chain the weight is the position on the chain. On a full graph each
 * candidate gets a bitset of its candidate ancestors, built parents first: a commit takes
 * over its parent's bitset when it is that parent's last child to need it, so a line of
 * commits costs one bitset, and only forks copy and only merges OR and count.
 */
export function bisectionWeights(
  graph: CommitGraph,
  candidates: Candidates,
  firstParent: boolean,
): Int32Array {
  const { order, position } = candidates;
  const n = order.length;
  const weights = new Int32Array(n);
  if (firstParent) {
    for (let i = 0; i < n; i++) weights[i] = i + 1;
    return weights;
  }

  const parentsOf: number[][] = [];
  const consumers = new Int32Array(n);
  for (const c of order) {
    const inside: number[] = [];
    for (const p of graph.parents[c] ?? []) {
      const pos = position[p] as number;
      if (pos !== -1) {
        inside.push(pos);
        consumers[pos] = (consumers[pos] as number) + 1;
      }
    }
    parentsOf.push(inside);
  }

  const words = (n + 31) >>> 5;
  const bits: (Uint32Array | undefined)[] = new Array(n);
  /** The parent's bitset, given up once its last child has used it. */
  const use = (pos: number): { set: Uint32Array; shared: boolean } => {
    const set = bits[pos] as Uint32Array;
    const left = (consumers[pos] as number) - 1;
    consumers[pos] = left;
    if (left === 0) bits[pos] = undefined;
    return { set, shared: left > 0 };
  };
  const take = (pos: number): Uint32Array => {
    const { set, shared } = use(pos);
    return shared ? set.slice() : set;
  };

  for (let i = 0; i < n; i++) {
    const parents = parentsOf[i] as number[];
    const [first, ...others] = parents;
    let set: Uint32Array;
    if (first === undefined) {
      set = new Uint32Array(words);
      weights[i] = 1;
    } else if (others.length === 0) {
      set = take(first);
      weights[i] = (weights[first] as number) + 1;
    } else {
      set = take(first);
      for (const other of others) {
        const theirs = use(other).set;
        for (let w = 0; w < words; w++) set[w] = (set[w] as number) | (theirs[w] as number);
      }
      weights[i] = popcount(set) + 1;
    }
    set[i >>> 5] = (set[i >>> 5] as number) | (1 << (i & 31));
    if ((consumers[i] as number) > 0) bits[i] = set;
  }
  return weights;
}

function popcount(set: Uint32Array): number {
  let count = 0;
  for (let v of set) {
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    count += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }
  return count;
}
