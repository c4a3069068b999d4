import { describe, expect, it } from 'vitest';
import { testSlotsOf } from './test-slots.js';

const pools: Record<string, string[]> = { x86: ['a', 'b', 'c'], gone: [] };
const labsUp = async (pool: string) => pools[pool] ?? [];

describe('testSlotsOf', () => {
  it('tests one commit at a time on the worker host unless the user allows more', async () => {
    expect(await testSlotsOf({}, labsUp)).toBe(1);
    expect(await testSlotsOf({ lab: 'local' }, labsUp)).toBe(1);
    expect(await testSlotsOf({ lab: 'local', parallelTests: 3 }, labsUp)).toBe(3);
  });

  it('tests one commit per lab of the pool that is up, at most parallelTests', async () => {
    expect(await testSlotsOf({ lab: { pool: 'x86' } }, labsUp)).toBe(3);
    expect(await testSlotsOf({ lab: { pool: 'x86' }, parallelTests: 2 }, labsUp)).toBe(2);
    expect(await testSlotsOf({ lab: { pool: 'gone' } }, labsUp)).toBe(1);
  });

  it('tests one commit at a time on a named lab', async () => {
    expect(await testSlotsOf({ lab: { name: 'a' } }, labsUp)).toBe(1);
  });
});
