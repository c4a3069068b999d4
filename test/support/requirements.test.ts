import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BWRAP,
  CCACHE,
  CHROMIUM,
  FIREFOX,
  IP,
  needs,
  program,
  RequirementMissing,
  SSH_KEYGEN,
  SSHD,
  XMLLINT,
} from './requirements.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The packages of the README's "On a fresh machine" install line, as .ci/run reads them. */
function readmePackages(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => l.startsWith('sudo apt-get install -y '));
  return line?.replace('sudo apt-get install -y ', '').trim().split(/\s+/) ?? [];
}

describe("the README's install line", () => {
  it('names the package of every program a test requires', () => {
    const packages = readmePackages();
    for (const requirement of [SSHD, SSH_KEYGEN, XMLLINT, IP, BWRAP, CCACHE, CHROMIUM, FIREFOX]) {
      expect(packages, requirement.name).toContain(requirement.debianPackage);
    }
    expect(packages).toEqual(expect.arrayContaining(['git', 'build-essential', 'redis-server']));
  });

  it('is the list .ci/run installs', () => {
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toContain("sed -n 's/^sudo apt-get install -y //p' README.md");
    expect(ci).toContain('apt-get install -y -qq $packages');
  });
});

describe('a missing program', () => {
  it('fails the test with its install line, on CI or not', (context) => {
    const missing = program('kbisect-no-such-program', 'kbisect-no-such-package');
    expect(() => needs(context, missing)).toThrow(RequirementMissing);
    expect(() => needs(context, missing)).toThrow('sudo apt-get install kbisect-no-such-package');
  });
});
