import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRepository } from '@kbisect/git';
import { Sandbox } from '@kbisect/sandbox';
import { afterAll, describe, expect, it } from 'vitest';
import { maintainersOf, parseMaintainers } from './maintainers.js';

const work = mkdtempSync(join(tmpdir(), 'kbisect-maintainers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.org',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.org',
    },
  }).trim();

/**
 * A tree with its own scripts/get_maintainer.pl that, like the kernel's, reads the patch it
 * is given and names the maintainers of the files it touches.
 */
function kernelLikeRepo(): { dir: string; culprit: string; plain: string } {
  const dir = join(work, 'linux');
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(join(dir, 'net'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README'), 'a tree\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'Initial');
  const plain = git(dir, 'rev-parse', 'HEAD');
  writeFileSync(
    join(dir, 'scripts', 'get_maintainer.pl'),
    [
      '#!/usr/bin/perl',
      'open(my $p, "<", $ARGV[-1]) or die "no patch";',
      'my $patch = join("", <$p>);',
      'if ($patch =~ m{\\+\\+\\+ b/net/}) {',
      '  print "\\"Jane Maintainer\\" <jane\\@example.org>\\n";',
      '  print "netdev\\@vger.kernel.org\\n";',
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'net', 'core.c'), 'int x;\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'net: add core');
  writeFileSync(join(dir, 'net', 'core.c'), 'int x = 1;\n');
  git(dir, 'commit', '-q', '-am', 'net: initialise x');
  return { dir, culprit: git(dir, 'rev-parse', 'HEAD'), plain };
}

describe('maintainersOf', () => {
  const tree = kernelLikeRepo();
  const sandbox = Sandbox.cleanEnvironmentOnly(join(work, 'sandbox'));

  it("names whom the tree's get_maintainer.pl names for the culprit's patch, run in the sandbox", async () => {
    const repository = await openRepository({ source: tree.dir, cacheDir: join(work, 'cache') });
    const found = await maintainersOf(repository, tree.culprit, {
      sandbox,
      baseDir: join(work, 'worktrees'),
    });
    expect(found).toEqual([
      { name: 'Jane Maintainer', address: 'jane@example.org' },
      { address: 'netdev@vger.kernel.org' },
    ]);
  });

  it('names no one in a tree without the script', async () => {
    const repository = await openRepository({ source: tree.dir, cacheDir: join(work, 'cache') });
    expect(
      await maintainersOf(repository, tree.plain, { sandbox, baseDir: join(work, 'worktrees') }),
    ).toEqual([]);
  });
});

describe('parseMaintainers', () => {
  it('reads named and bare addresses, one per line, and skips the rest', () => {
    expect(
      parseMaintainers(
        'David S. Miller <davem@davemloft.net>\n"Eric, D" <edumazet@google.com>\n' +
          'netdev@vger.kernel.org\nlinux-kernel@vger.kernel.org (open list)\n\nnot an address\n',
      ),
    ).toEqual([
      { name: 'David S. Miller', address: 'davem@davemloft.net' },
      { name: 'Eric, D', address: 'edumazet@google.com' },
      { address: 'netdev@vger.kernel.org' },
      { address: 'linux-kernel@vger.kernel.org' },
    ]);
  });
});
