import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { RepositoryNotFound } from './errors/repository-not-found.js';
import { openRepository } from './mirror.js';
import { makeMergeHistory, makeRepo, makeTempDir } from './test-support/index.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir('kbisect-mirror-');
});
afterEach(() => temp.cleanup());

test('a local work tree is opened through a bare mirror under the cache dir', async () => {
  const { d } = makeMergeHistory(join(temp.dir, 'linux'));
  const repository = await openRepository({
    source: join(temp.dir, 'linux'),
    cacheDir: join(temp.dir, 'cache'),
  });

  expect(repository.mirrorPath.startsWith(join(temp.dir, 'cache', 'mirrors'))).toBe(true);
  expect(existsSync(join(repository.mirrorPath, 'HEAD'))).toBe(true);
  expect(existsSync(join(repository.mirrorPath, '.git'))).toBe(false);
  expect(await repository.resolveRef('main')).toBe(d);
});

test('a file:// URL is mirrored like a path', async () => {
  const { a } = makeMergeHistory(join(temp.dir, 'linux'));
  const source = pathToFileURL(join(temp.dir, 'linux')).href;
  const repository = await openRepository({ source, cacheDir: join(temp.dir, 'cache') });

  expect(repository.source).toBe(source);
  expect(await repository.resolveRef('v1.0')).toBe(a);
});

test('fetch picks up a commit made in the source after the mirror was cloned', async () => {
  const { repo, d } = makeMergeHistory(join(temp.dir, 'linux'));
  const repository = await openRepository({ source: repo.dir, cacheDir: join(temp.dir, 'cache') });
  const e = repo.commit({ 'e.txt': 'e\n' }, 'e: after the clone');

  expect(await repository.resolveRef('main')).toBe(d);
  await repository.fetch();
  expect(await repository.resolveRef('main')).toBe(e);
});

test('a ref the mirror does not know yet is fetched on demand', async () => {
  const { repo } = makeMergeHistory(join(temp.dir, 'linux'));
  const repository = await openRepository({ source: repo.dir, cacheDir: join(temp.dir, 'cache') });
  repo.branch('fresh');
  repo.checkout('fresh');
  const fresh = repo.commit({ 'fresh.txt': 'x\n' }, 'fresh branch');

  expect(await repository.resolveRef('fresh')).toBe(fresh);
  expect(await repository.resolveRef(fresh)).toBe(fresh);
});

test('fetch prunes branches deleted in the source', async () => {
  const { repo } = makeMergeHistory(join(temp.dir, 'linux'));
  const repository = await openRepository({ source: repo.dir, cacheDir: join(temp.dir, 'cache') });
  repo.git('branch', '-D', 'side');

  await repository.fetch();
  await expect(repository.resolveRef('side')).rejects.toThrow(/unknown revision "side"/);
});

test('opening the same source twice at once makes one mirror that both can use', async () => {
  const { d } = makeMergeHistory(join(temp.dir, 'linux'));
  const options = { source: join(temp.dir, 'linux'), cacheDir: join(temp.dir, 'cache') };

  const [first, second] = await Promise.all([openRepository(options), openRepository(options)]);

  expect(first.mirrorPath).toBe(second.mirrorPath);
  expect(await first.resolveRef('main')).toBe(d);
  expect(await second.resolveRef('main')).toBe(d);
  expect(readdirSync(join(temp.dir, 'cache', 'mirrors'))).toEqual([
    first.mirrorPath.split('/').at(-1),
  ]);
});

test('two processes opening the same source at once share one complete mirror', async () => {
  const { d } = makeMergeHistory(join(temp.dir, 'linux'));
  const cacheDir = join(temp.dir, 'cache');
  const script = [
    "import { openRepository } from '@kbisect/git';",
    'const [source, cacheDir] = process.argv.slice(1);',
    'const repository = await openRepository({ source, cacheDir });',
    "console.log(await repository.resolveRef('main'));",
  ].join('\n');
  const open = () =>
    run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, join(temp.dir, 'linux'), cacheDir],
      {
        cwd: packageDir,
      },
    );

  const outputs = await Promise.all([open(), open(), open()]);

  expect(outputs.map(({ stdout }) => stdout.trim())).toEqual([d, d, d]);
  expect(readdirSync(join(cacheDir, 'mirrors'))).toHaveLength(1);
});

test('a clone killed halfway is cleaned up and never mistaken for a mirror', async () => {
  const { d } = makeMergeHistory(join(temp.dir, 'linux'));
  const cacheDir = join(temp.dir, 'cache');
  const first = await openRepository({ source: join(temp.dir, 'linux'), cacheDir });
  rmSync(first.mirrorPath, { recursive: true });
  mkdirSync(`${first.mirrorPath}.tmp-99999-dead`);

  const reopened = await openRepository({ source: join(temp.dir, 'linux'), cacheDir });

  expect(await reopened.resolveRef('main')).toBe(d);
  expect(readdirSync(join(cacheDir, 'mirrors')).filter((entry) => entry.includes('.tmp-'))).toEqual(
    [],
  );
});

test('a path and the same path spelled differently share a mirror', async () => {
  makeRepo(join(temp.dir, 'linux')).commit({ f: '1\n' }, 'one');
  const cacheDir = join(temp.dir, 'cache');

  const plain = await openRepository({ source: join(temp.dir, 'linux'), cacheDir });
  const dotted = await openRepository({ source: `${temp.dir}/./linux/`, cacheDir });

  expect(dotted.mirrorPath).toBe(plain.mirrorPath);
});

test('a missing path is RepositoryNotFound naming the path', async () => {
  const missing = join(temp.dir, 'no-such-tree');
  const opening = openRepository({ source: missing, cacheDir: join(temp.dir, 'cache') });

  await expect(opening).rejects.toBeInstanceOf(RepositoryNotFound);
  await expect(opening).rejects.toThrow(missing);
});

test('sources that would run commands are refused without running them', async () => {
  const pwned = join(temp.dir, 'pwned');
  const sources = [
    `--upload-pack=touch ${pwned}:x`,
    `-utouch ${pwned}:x`,
    `ext::sh -c touch% ${pwned}`,
  ];
  for (const source of sources) {
    await expect(
      openRepository({ source, cacheDir: join(temp.dir, 'cache') }),
    ).rejects.toBeInstanceOf(RepositoryNotFound);
  }
  expect(existsSync(pwned)).toBe(false);
});

test('a directory that is not a git repository is RepositoryNotFound and leaves no mirror', async () => {
  const plain = makeTempDir('kbisect-plain-');
  try {
    const opening = openRepository({ source: plain.dir, cacheDir: join(temp.dir, 'cache') });
    await expect(opening).rejects.toBeInstanceOf(RepositoryNotFound);
    await expect(opening).rejects.toThrow(/git clone --mirror failed/);
    expect(readdirSync(join(temp.dir, 'cache', 'mirrors'))).toEqual([]);
  } finally {
    plain.cleanup();
  }
});
