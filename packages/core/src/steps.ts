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
