import { describe, expect, it } from 'vitest';
import { estimateSecondsLeft, ObjectLineCounter, progressMessage } from './build-progress.js';

describe('progressMessage', () => {
  it('gives the time, the objects against the last full build and what is left', () => {
    expect(
      progressMessage({
        commit: '2c0000cd6d29',
        elapsedSeconds: 270,
        compileSeconds: 260,
        objects: 3120,
        expectedObjects: 4410,
      }),
    ).toBe('build 2c0000cd6d29: 4 min 30 s, 3120/4410 objects (70%), about 1 min 48 s left');
  });

  it('gives only the time for a build that counts no objects (a command build)', () => {
    expect(progressMessage({ commit: 'abc', elapsedSeconds: 95 })).toBe('build abc: 1 min 35 s');
  });

  it('gives the count alone when no full build of the tree was recorded', () => {
    expect(progressMessage({ commit: 'abc', elapsedSeconds: 30, objects: 812 })).toBe(
      'build abc: 30 s, 812 objects compiled',
    );
  });

  it('makes no estimate before the first object, nor past the full count', () => {
    expect(
      progressMessage({ commit: 'abc', elapsedSeconds: 30, objects: 0, expectedObjects: 4410 }),
    ).toBe('build abc: 30 s, 0/4410 objects (0%)');
    expect(
      progressMessage({ commit: 'abc', elapsedSeconds: 30, objects: 4500, expectedObjects: 4410 }),
    ).toBe('build abc: 30 s, 4500 objects (the last full build had 4410)');
  });
});

describe('estimateSecondsLeft', () => {
  it('extrapolates the compile rate, leaving configure time out', () => {
    expect(
      estimateSecondsLeft({
        commit: 'abc',
        elapsedSeconds: 120,
        compileSeconds: 100,
        objects: 1000,
        expectedObjects: 3000,
      }),
    ).toBe(200);
    expect(estimateSecondsLeft({ commit: 'abc', elapsedSeconds: 100, objects: 10 })).toBe(
      undefined,
    );
  });
});

describe('ObjectLineCounter', () => {
  it("counts kbuild's CC and AS lines of objects, across chunks that cut lines anywhere", () => {
    const counter = new ObjectLineCounter();
    const output = [
      '  HOSTCC  scripts/basic/fixdep',
      '  CC      kernel/fork.o',
      '  CC [M]  drivers/net/e1000/e1000_main.o',
      '  AS      arch/x86/entry/entry_64.o',
      '  CC      kernel/bounds.s',
      '  LD      vmlinux.o',
      '  AR      kernel/built-in.a',
      'kernel/fork.c:12: warning: CC something.o',
      '  CC      mm/slub.o',
      '',
    ].join('\n');
    for (let i = 0; i < output.length; i += 7) counter.push(output.slice(i, i + 7));
    expect(counter.count).toBe(4);
  });
});
