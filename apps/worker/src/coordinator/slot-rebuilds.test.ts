import { describe, expect, it } from 'vitest';
import { BuildSlotMovedOn } from '../errors/build-slot-moved-on.js';
import { MOST_SLOT_REBUILDS, SlotRebuilds } from './slot-rebuilds.js';

const commit = 'edb9f4085e7a87a6bee88280872c8bb984fae150';
const problem = 'build slot /cache/slots/repo.git/slot-0 holds 6c5d5c5b5504, not edb9f4085e7a';

describe('SlotRebuilds', () => {
  it('builds a commit whose slot moved on again, saying why and how many times so far', () => {
    const rebuilds = new SlotRebuilds();
    const first = rebuilds.next('b1.0.edb9f4085e7a87a6.build0', commit, problem);
    expect(first).toEqual({
      kind: 'rebuild',
      rebuild: 1,
      most: MOST_SLOT_REBUILDS,
      message: `building edb9f4085e7a again: ${problem} (rebuild 1 of at most ${MOST_SLOT_REBUILDS})`,
    });
  });

  it('gives up after the most rebuilds of one build job with an error that says what happened', () => {
    const rebuilds = new SlotRebuilds(2);
    const job = 'b1.0.edb9f4085e7a87a6.build0';
    expect(rebuilds.next(job, commit, problem)).toMatchObject({ kind: 'rebuild', rebuild: 1 });
    expect(rebuilds.next(job, commit, problem)).toMatchObject({ kind: 'rebuild', rebuild: 2 });
    const third = rebuilds.next(job, commit, 'build slot slot-1 was taken by job b1.x');
    if (third.kind !== 'give-up') throw new Error(`expected give-up, got ${third.kind}`);
    expect(third.error).toBeInstanceOf(BuildSlotMovedOn);
    expect(third.error).toMatchObject({ commit, rebuilds: 2 });
    expect(third.error.message).toMatch(
      /^commit edb9f4085e7a was not tested: its build slot moved on after its build 3 times \(built again 2 times; last: build slot slot-1 was taken by job b1\.x\)/,
    );
    // It stays given up: a later look does not start counting again.
    expect(rebuilds.next(job, commit, problem).kind).toBe('give-up');
  });

  it('counts each build job on its own: another step of the same commit starts afresh', () => {
    const rebuilds = new SlotRebuilds(1);
    expect(rebuilds.next('b1.0.edb9f4085e7a87a6.build0', commit, problem).kind).toBe('rebuild');
    expect(rebuilds.next('b1.0.edb9f4085e7a87a6.build0', commit, problem).kind).toBe('give-up');
    expect(rebuilds.next('b1.7.edb9f4085e7a87a6.build0', commit, problem).kind).toBe('rebuild');
  });
});
