import type { Sample } from '../evidence.js';

/** Samples from plain numbers, for tests. */
export const runs = (...values: number[]): Sample[] =>
  values.map((value) => ({ value, seconds: 1 }));

/**
 * Deterministic lognormal runs around `level` with coefficient of variation `cv`, for tests
 * that need realistic noise without depending on Math.random.
 */
export function noisyRuns(seed: number, count: number, level: number, cv: number): Sample[] {
  // Scrambled, because xorshift's first outputs from a small seed are small too.
  let state = Math.imul(seed + 1, 0x9e3779b1) >>> 0 || 1;
  const uniform = () => {
    // xorshift32: enough for test noise, and the same on every machine.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (state + 0.5) / 4294967296;
  };
  for (let i = 0; i < 8; i++) uniform();
  const sigma = Math.sqrt(Math.log(1 + cv * cv));
  return Array.from({ length: count }, () => {
    const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return { value: level * Math.exp(sigma * z), seconds: 1 };
  });
}
