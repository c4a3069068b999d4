import { describe, expect, it } from 'vitest';
import {
  LIKELIHOOD_RATIO_CLIP,
  LIKELIHOOD_RATIO_MIN_DISTANCE,
  likelihoodRatio,
} from './likelihood-ratio.js';

// Scores as the policy makes them: log throughput, larger is better.
const good = [9.0, 9.1, 9.2, 9.05, 9.15, 8.95].map(Math.log);
const bad = [0.3, 0.31, 0.29, 0.305, 0.295, 0.3].map(Math.log);
const atGood = Math.log(9.1);
const atBad = Math.log(0.3);
const threshold = Math.log(1000);

describe('likelihoodRatio', () => {
  it('reaches 1/alpha = 1000 with three runs at the bad level, never with two', () => {
    const three = likelihoodRatio(good, bad, [atBad, atBad, atBad], 0.15);
    expect(three?.bad).toBeCloseTo(3 * LIKELIHOOD_RATIO_CLIP, 10);
    expect(three?.bad).toBeGreaterThanOrEqual(threshold);
    expect(three?.good).toBeCloseTo(-3 * LIKELIHOOD_RATIO_CLIP, 10);
    const two = likelihoodRatio(good, bad, [atBad, atBad], 0.15);
    expect(two?.bad).toBeLessThan(threshold);
  });

  it('lets one wild run count as one run, not as proof: it takes back what one good run gave', () => {
    const oneWild = likelihoodRatio(good, bad, [atGood, atBad, atGood], 0.15);
    expect(oneWild?.good).toBeCloseTo(LIKELIHOOD_RATIO_CLIP, 10);
    expect(oneWild?.good).toBeLessThan(threshold);
    const more = likelihoodRatio(good, bad, [atGood, atBad, atGood, atGood, atGood], 0.15);
    expect(more?.good).toBeGreaterThanOrEqual(threshold);
  });

  it('drifts to neither side for a commit halfway between the levels (a second regression)', () => {
    const halfway = (atGood + atBad) / 2;
    const r = likelihoodRatio(good, bad, Array(10).fill(halfway), 0.15);
    expect(r?.bad).toBeLessThan(0);
    expect(r?.good).toBeLessThan(0);
  });

  it('counts a hang as the worst run there is', () => {
    const r = likelihoodRatio(good, bad, [-Infinity, atBad, atBad], 0.15);
    expect(r?.bad).toBeCloseTo(3 * LIKELIHOOD_RATIO_CLIP, 10);
  });

  it('stays out where the baselines are near each other, or hung, or the wrong way round', () => {
    // 10% apart with 3% noise: about 3 spreads, below the distance the rule needs.
    const near = [8.2, 8.4, 8.1, 8.0, 8.3, 8.25].map(Math.log);
    const noisyGood = [9.0, 9.4, 8.8, 9.2, 8.7, 9.5].map(Math.log);
    expect(likelihoodRatio(noisyGood, near, [atBad], 0.15)).toBeUndefined();
    expect(likelihoodRatio(good, [...bad, -Infinity], [atBad], 0.15)).toBeUndefined();
    expect(likelihoodRatio(bad, good, [atBad], 0.15)).toBeUndefined();
    const r = likelihoodRatio(good, bad, [], 0.15);
    expect(r?.distance).toBeGreaterThan(LIKELIHOOD_RATIO_MIN_DISTANCE);
  });

  it('inflates a small calibration’s spread, so that few baseline runs make it cautious', () => {
    const tight = likelihoodRatio(good, bad, [], 0.15);
    const moreRuns = likelihoodRatio([...good, ...good], [...bad, ...bad], [], 0.15);
    expect(tight && moreRuns && tight.spread > moreRuns.spread).toBe(true);
  });
});
