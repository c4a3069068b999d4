import { normalSf } from './normal.js';

/** Which way the first sample is claimed to differ, in SciPy's terms. */
export type Alternative = 'two-sided' | 'less' | 'greater';

export interface MannWhitneyOptions {
  /** 'greater': x is stochastically greater than y. Default 'two-sided'. */
  alternative?: Alternative;
  /**
   * 'auto' (default) uses the exact permutation distribution while the smaller sample has at
   * most `EXACT_MAX_SAMPLES` values (and both together at most `EXACT_MAX_TOTAL`), the normal
   * approximation above.
   */
  method?: 'auto' | 'exact' | 'asymptotic';
  /** Continuity correction of the normal approximation (default on, as in SciPy). */
  continuity?: boolean;
}

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, a tie counting one half (SciPy's U1). */
  u: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  /** Standardized U of the normal approximation; absent for exact p-values. */
  z?: number;
  /** Whether equal values occurred (hung runs always tie with each other). */
  ties: boolean;
}

/**
 * The normal approximation is poor in the far tail when one sample is small: 3 commit runs
 * all below 30 baseline runs have an exact p of 1/C(33,3) = 1.8e-4, the approximation says
 * 2.7e-3. Above 20 values in the smaller sample it is close enough, and the exact table
 * grows with the square of the sample sizes.
 */
export const EXACT_MAX_SAMPLES = 20;
export const EXACT_MAX_TOTAL = 120;

/**
 * Mann-Whitney U (Wilcoxon rank-sum) test. Matches `scipy.stats.mannwhitneyu` for
 * 'asymptotic' (tie-corrected variance, continuity correction) and for 'exact' without
 * ties. With ties, 'exact' is the permutation distribution of the midrank sum given the
 * observed tie pattern, which SciPy does not offer; it is what keeps a handful of hung runs
 * (all tied) from needing the normal approximation at n = 3.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const { alternative = 'two-sided', method = 'auto', continuity = true } = options;
  if (x.length === 0 || y.length === 0) {
    throw new RangeError(
      `Mann-Whitney U needs two non-empty samples (got ${x.length} and ${y.length})`,
    );
  }
  if ([...x, ...y].some(Number.isNaN))
    throw new RangeError('Mann-Whitney U got NaN among the values');
  const n1 = x.length;
  const n2 = y.length;
  const { doubledRanks, tieTerm, ties } = midranks([...x, ...y]);
  let doubledSum = 0;
  for (let i = 0; i < n1; i++) doubledSum += doubledRanks[i] as number;
  const u = doubledSum / 2 - (n1 * (n1 + 1)) / 2;

  const exact =
    method === 'exact' ||
    (method === 'auto' && Math.min(n1, n2) <= EXACT_MAX_SAMPLES && n1 + n2 <= EXACT_MAX_TOTAL);
  if (exact) {
    let greater: number;
    let less: number;
    if (n1 <= n2) {
      const dist = rankSumDistribution(doubledRanks, n1, ties);
      greater = dist.tail(doubledSum, 'ge');
      less = dist.tail(doubledSum, 'le');
    } else {
      // The table is cheaper for the smaller sample; x's rank sum is the total minus y's.
      const n = n1 + n2;
      const dist = rankSumDistribution(doubledRanks, n2, ties);
      const ySum = n * (n + 1) - doubledSum;
      greater = dist.tail(ySum, 'le');
      less = dist.tail(ySum, 'ge');
    }
    const pValue =
      alternative === 'greater'
        ? greater
        : alternative === 'less'
          ? less
          : Math.min(1, 2 * Math.min(greater, less));
    return { u, pValue, method: 'exact', ties };
  }

  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  // Every value equal: no ordering at all, so no evidence either way.
  if (variance <= 0) return { u, pValue: 1, method: 'asymptotic', z: 0, ties };
  const uFor =
    alternative === 'greater' ? u : alternative === 'less' ? n1 * n2 - u : Math.max(u, n1 * n2 - u);
  const z = (uFor - mean - (continuity ? 0.5 : 0)) / Math.sqrt(variance);
  const oneTail = normalSf(z);
  const pValue = Math.min(1, Math.max(0, alternative === 'two-sided' ? 2 * oneTail : oneTail));
  return { u, pValue, method: 'asymptotic', z, ties };
}

/**
 * Midranks of the pooled values, doubled so that they are integers (a tie spanning ranks
 * i..j has midrank (i + j)/2), plus Σ(t³ − t) over tie groups for the variance correction.
 */
function midranks(pooled: readonly number[]) {
  const order = pooled.map((_, i) => i);
  order.sort((a, b) => {
    const va = pooled[a] as number;
    const vb = pooled[b] as number;
    return va < vb ? -1 : va > vb ? 1 : 0;
  });
  const doubledRanks = new Array<number>(pooled.length).fill(0);
  let tieTerm = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && pooled[order[j + 1] as number] === pooled[order[i] as number])
      j++;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) doubledRanks[order[k] as number] = i + 1 + (j + 1);
    i = j + 1;
  }
  return { doubledRanks, tieTerm, ties: tieTerm > 0 };
}

interface RankSumDistribution {
  /** P(sum ≥ s) or P(sum ≤ s) for a doubled rank sum s. */
  tail(doubledSum: number, side: 'ge' | 'le'): number;
}

const distributions = new Map<string, RankSumDistribution>();
const CACHE_LIMIT = 512;

/**
 * Null distribution of the rank sum of a sample of n1 of the pooled values: every way of
 * choosing which n1 of the pooled ranks belong to it is equally likely. Counted by dynamic programming over the ranks
 * (ways[k][s] = subsets of size k with doubled sum s). Counts reach C(40, 20) ≈ 1.4e11,
 * well inside a double's exact integers. Without ties the table only depends on (n1, n2),
 * so it is cached; an adaptive policy asks for the same few shapes thousands of times.
 */
function rankSumDistribution(
  doubledRanks: readonly number[],
  n1: number,
  ties: boolean,
): RankSumDistribution {
  const key = ties
    ? `${n1}|${[...doubledRanks].sort((a, b) => a - b).join(',')}`
    : `${n1}|${doubledRanks.length}`;
  const cached = distributions.get(key);
  if (cached) return cached;

  const maxSum = [...doubledRanks]
    .sort((a, b) => b - a)
    .slice(0, n1)
    .reduce((a, b) => a + b, 0);
  const ways = Array.from({ length: n1 + 1 }, () => new Float64Array(maxSum + 1));
  (ways[0] as Float64Array)[0] = 1;
  let seen = 0;
  for (const r of doubledRanks) {
    seen++;
    for (let k = Math.min(seen, n1); k >= 1; k--) {
      const from = ways[k - 1] as Float64Array;
      const to = ways[k] as Float64Array;
      for (let s = maxSum - r; s >= 0; s--) {
        const w = from[s] as number;
        if (w !== 0) to[s + r] = (to[s + r] as number) + w;
      }
    }
  }
  const counts = ways[n1] as Float64Array;
  const total = counts.reduce((a, b) => a + b, 0);
  const dist: RankSumDistribution = {
    tail(doubledSum, side) {
      let hits = 0;
      // Doubled sums are integers, but guard against 17.999… from the caller's arithmetic.
      const s0 = Math.round(doubledSum);
      if (side === 'ge')
        for (let s = Math.max(0, s0); s <= maxSum; s++) hits += counts[s] as number;
      else for (let s = Math.min(maxSum, s0); s >= 0; s--) hits += counts[s] as number;
      return hits / total;
    },
  };
  if (distributions.size >= CACHE_LIMIT) distributions.clear();
  distributions.set(key, dist);
  return dist;
}

/**
 * The smallest one-sided p-value n runs can reach against m: all n beyond all m, 1/C(n+m, n).
 * Below alpha, no amount of evidence in n runs can be significant.
 */
export function rankTestFloor(n: number, m: number): number {
  let p = 1;
  for (let i = 1; i <= n; i++) p *= i / (m + i);
  return p;
}
