const PRN_MODULO = 32768;

/**
 * Which commit to test instead when the best one was skipped: git's `skip_away`, to the bit.
 * `ranked` holds the commits that were not skipped, best first; the pick leans towards the
 * front (near-best splits) but jumps away from the best one, because commits next to a
 * commit that cannot be tested (a build break, say) often cannot be tested either. Git seeds
 * its generator with the length of the list, so the pick is a function of the list alone.
 * The bad commit is never picked while another one is left.
 */
export function skipAway<T>(ranked: readonly T[], bad: T): T | undefined {
  const count = ranked.length;
  const prn = pseudoRandom(count);
  const index = Math.trunc(
    (Math.trunc(Math.imul(count, prn) / PRN_MODULO) * sqrti(prn)) / sqrti(PRN_MODULO),
  );
  const picked = ranked[index];
  if (picked === undefined) return ranked[0];
  if (picked !== bad) return picked;
  return index > 0 ? ranked[index - 1] : ranked[0];
}

/** The C library's example `rand()` step from `man 3 rand`, in unsigned 32-bit arithmetic. */
function pseudoRandom(seed: number): number {
  const next = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return Math.floor(next / 65536) % PRN_MODULO;
}

/** Git's integer square root, computed in single precision as git does. */
function sqrti(value: number): number {
  if (value === 0) return 0;
  const f = Math.fround;
  const v = f(value);
  let x = v;
  let d: number;
  do {
    const y = f(f(x + f(v / x)) / 2);
    d = y > x ? f(y - x) : f(x - y);
    x = y;
  } while (d >= 0.5);
  return Math.trunc(x);
}
