import { describe, expect, it } from 'vitest';
import { labTestQueueOf, labTestQueuesServed } from './names.js';

describe('lab-test queue routing', () => {
  it('sends local tests to the build host, named labs to their lab, pools to their pool', () => {
    expect(labTestQueueOf('local', 'build-a')).toBe('lab-test.host.build-a');
    expect(labTestQueueOf({ name: 'vm1' }, 'build-a')).toBe('lab-test.lab.vm1');
    expect(labTestQueueOf({ pool: 'east' }, 'build-a')).toBe('lab-test.pool.east');
  });

  it('keeps ":" and other odd characters of a host name out of the queue name', () => {
    expect(labTestQueueOf('local', 'odd:host name')).toBe('lab-test.host.odd_host_name');
  });

  it('refuses lab and pool names a config check should have refused', () => {
    expect(() => labTestQueueOf({ pool: 'a:b' }, 'h')).toThrow(/queue name/);
    expect(() => labTestQueueOf({ name: '' }, 'h')).toThrow(/queue name/);
  });

  it('has a worker consume its host, each of its labs and each pool they are in, once', () => {
    const labs = [
      { name: 'vm1', pool: 'east' },
      { name: 'vm2', pool: 'east' },
      { name: 'vm3', pool: 'west' },
    ];
    expect(labTestQueuesServed(labs, 'h')).toEqual([
      'lab-test.host.h',
      'lab-test.lab.vm1',
      'lab-test.lab.vm2',
      'lab-test.lab.vm3',
      'lab-test.pool.east',
      'lab-test.pool.west',
    ]);
    expect(labTestQueuesServed([], 'h')).toEqual(['lab-test.host.h']);
  });
});
