import { describe, expect, it } from 'vitest';
import { speculationOf } from './speculation.js';

const metric = { kind: 'metric', command: './rate.sh' } as const;
const command = { kind: 'command', command: './test.sh' } as const;
const splice = { kind: 'splice-loopback' } as const;
/** vm-a is a VM on the build host, rack1 a machine of its own; pool mixed holds both. */
const shares = (lab: { name: string } | { pool: string }) =>
  'name' in lab ? lab.name === 'vm-a' : lab.pool === 'mixed';

describe('speculationOf', () => {
  it('builds ahead for exit codes wherever they run', () => {
    for (const lab of ['local', { name: 'vm-a' }, { pool: 'mixed' }] as const) {
      expect(speculationOf({ oracle: command, lab }, shares)).toEqual({ on: true });
    }
  });

  it('builds nothing ahead for a measuring oracle on a lab that shares the build host', () => {
    expect(speculationOf({ oracle: metric }, shares)).toMatchObject({
      on: false,
      why: expect.stringMatching(/metric oracle measures on the build host \(lab local\)/),
    });
    expect(speculationOf({ oracle: splice, lab: { name: 'vm-a' } }, shares)).toMatchObject({
      on: false,
      why: expect.stringMatching(/lab vm-a, which shares the build host's cores/),
    });
    expect(speculationOf({ oracle: metric, lab: { pool: 'mixed' } }, shares)).toMatchObject({
      on: false,
      why: expect.stringMatching(/a lab of pool mixed/),
    });
  });

  it('builds ahead for a measuring oracle on a lab of its own, unless told not to', () => {
    expect(speculationOf({ oracle: metric, lab: { name: 'rack1' } }, shares)).toEqual({ on: true });
    expect(speculationOf({ oracle: splice, lab: { pool: 'x86' } }, shares)).toEqual({ on: true });
    expect(
      speculationOf({ oracle: command, lab: { name: 'rack1' }, speculate: false }, shares),
    ).toMatchObject({ on: false });
  });

  it('builds ahead for a measuring oracle on the build host when the bisect says speculate: true', () => {
    expect(speculationOf({ oracle: metric, speculate: true }, shares)).toEqual({ on: true });
    expect(
      speculationOf({ oracle: splice, lab: { name: 'vm-a' }, speculate: true }, shares),
    ).toEqual({ on: true });
  });
});
