/**
 * What a test needs from this machine (a program, a service) and how to get it. A test whose
 * requirement is missing fails with the install line, on CI and on a laptop alike: a run that
 * skipped the SSH suites proves nothing, and the README's install line brings every package
 * the suite needs. Only what depends on the host kernel (netem, network namespaces) may skip,
 * with its reason printed: `skipOnHost`.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { type Requirement, RequirementMissing } from './requirement.js';

export { type Requirement, RequirementMissing } from './requirement.js';

function onPath(command: string): boolean {
  const candidates = isAbsolute(command)
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A program from a Debian package; `command` may be a name on PATH or an absolute path. */
export function program(command: string, debianPackage: string): Requirement {
  return {
    name: command,
    missing: onPath(command) ? undefined : `${command} is not installed`,
    install: `sudo apt-get install ${debianPackage}`,
    debianPackage,
  };
}

export const SSHD = program('/usr/sbin/sshd', 'openssh-server');
export const SSH_KEYGEN = program('ssh-keygen', 'openssh-client');
export const XMLLINT = program('xmllint', 'libxml2-utils');
export const IP = program('ip', 'iproute2');
export const BWRAP = program('bwrap', 'bubblewrap');
export const CCACHE = program('ccache', 'ccache');
/** Debian's chromium, driven by playwright-core (browser downloads do not work here). */
export const CHROMIUM = program('/usr/bin/chromium', 'chromium');
/** Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core. */
export const FIREFOX = program('/usr/bin/firefox-esr', 'firefox-esr');

function unmet(requirements: readonly Requirement[]): Requirement[] {
  return requirements.filter((r) => r.missing !== undefined);
}

/**
 * `describe` when every requirement is met; otherwise a suite of one failing test that names
 * what to install.
 */
export function describeNeeding(
  ...requirements: Requirement[]
): (name: string, body: () => void) => void {
  const missing = unmet(requirements);
  if (missing.length === 0) return (name, body) => describe(name, body);
  return (name) => {
    describe(name, () => {
      it(`needs ${missing.map((r) => r.name).join(', ')}`, () => {
        throw new RequirementMissing(missing);
      });
    });
  };
}

/** The same for one test: call it first; it fails with the install line when one is missing. */
export function needs(_context: TestContext, ...requirements: Requirement[]): void {
  const missing = unmet(requirements);
  if (missing.length > 0) throw new RequirementMissing(missing);
}

/**
 * A skip that depends on the host kernel or privileges, not on a package: it may happen in CI
 * too, and the reason is printed with the test.
 */
export function skipOnHost(context: TestContext, reason: string | undefined): void {
  if (reason === undefined) return;
  console.warn(`skipped "${context.task.name}": ${reason}`);
  context.skip(reason);
}
