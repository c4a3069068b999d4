/**
 * Roughly how many more tests after the current one, as `git bisect` prints "(roughly N
 * steps)": git's `estimate_bisect_steps`. With `all` = 2^n + x candidates, the chance of
 * needing only n - 1 more steps is (2^n - x) / (2^n + x), so n is the better guess when
 * that is under one half, i.e. when 2^n < 3x.
 */
export function estimateBisectSteps(all: number): number {
  if (all < 3) return 0;
  const n = 31 - Math.clz32(all);
  const x = all - 2 ** n;
  return 2 ** n < 3 * x ? n : n - 1;
}

/** Tests a bisect of `all` candidates still needs, counting the next one. */
export function estimateTests(all: number): number {
  return all <= 1 ? 0 : estimateBisectSteps(all) + 1;
}

/**
 * Rounds after the current one when each round tests `k` commits at once (`bestCommits`):
 * a round leaves about 1/(k + 1) of the candidates, so `all` of them take ⌈log_(k+1) all⌉
 * rounds. For k = 1 this is git's estimate.
 */
export function estimateRoundsLeft(all: number, k: number): number {
  if (k <= 1) return estimateBisectSteps(all);
  if (all < 3) return 0;
  return Math.max(0, roundsFor(all, k) - 1);
}

/** ⌈log_(k+1) n⌉ in integers: the fewest rounds of k tests that narrow n candidates to one. */
export function roundsFor(n: number, k: number): number {
  let rounds = 0;
  for (let left = 1; left < n; left *= k + 1) rounds++;
  return rounds;
}
