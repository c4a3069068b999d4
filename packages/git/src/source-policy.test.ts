import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RepositoryRefused } from './errors/repository-refused.js';
import { checkSource, matchesPattern, transportOf } from './source-policy.js';

describe('transportOf decides as git does', () => {
  it.each([
    ['/srv/git/linux', 'file'],
    ['file:///srv/git/linux', 'file'],
    ['https://git.kernel.org/x.git', 'https'],
    ['git+ssh://host/x.git', 'ssh'],
    ['host:path/x.git', 'ssh'],
    ['fd::3', 'fd'],
    ['ext::sh -c touch /tmp/x', 'ext'],
    ['-uupload-pack=evil', 'file'],
  ])('%s is %s', (source, transport) => {
    expect(transportOf(source)).toBe(transport);
  });
});

describe('matchesPattern', () => {
  it('* stays within a segment, ** crosses them', () => {
    expect(matchesPattern('/srv/git/*', '/srv/git/linux')).toBe(true);
    expect(matchesPattern('/srv/git/*', '/srv/git/a/linux')).toBe(false);
    expect(matchesPattern('/srv/git/**', '/srv/git/a/linux')).toBe(true);
    expect(matchesPattern('https://git.kernel.org/**', 'https://git.kernel.org.evil/x')).toBe(
      false,
    );
    expect(
      matchesPattern('https://git.kernel.org/pub/*.git', 'https://git.kernel.org/pub/x.git/'),
    ).toBe(true);
  });
});

describe('checkSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const policy = { allow: [`${dir}/allowed/**`], protocols: ['file'] };

  it('follows a symlink before matching, so a link cannot lead out of an allowed tree', async () => {
    mkdirSync(join(dir, 'allowed'));
    mkdirSync(join(dir, 'secret'));
    symlinkSync(join(dir, 'secret'), join(dir, 'allowed', 'link'));
    await expect(checkSource(join(dir, 'allowed', 'link'), policy)).rejects.toThrow(
      /refused by repositories\.allow: .*secret matches none of/,
    );
    mkdirSync(join(dir, 'allowed', 'repo'));
    await expect(checkSource(join(dir, 'allowed', 'repo'), policy)).resolves.toBeUndefined();
  });

  it('refuses ext and fd even when a policy would list them', async () => {
    const open = { allow: ['**'], protocols: ['ext', 'fd', 'file'] };
    for (const source of ['fd::3', 'ext::sh']) {
      await expect(checkSource(source, open)).rejects.toBeInstanceOf(RepositoryRefused);
    }
  });
});
