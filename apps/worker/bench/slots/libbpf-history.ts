import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * A generated history over a real C project: libbpf (tools/lib/bpf) from the Debian package
 * linux-source-6.1, with what it builds from (tools/include, tools/build, tools/scripts,
 * tools/arch, include/uapi, scripts/bpf_doc.py). On top of the release tree, `COMMITS` small
 * edits of its sources and headers (comments before functions and definitions, unused
 * constants: each changes what one or many objects compile from), side branches merged back,
 * and one planted culprit: hashmap_grow() rehashes with the old number of bits, so after a
 * grow most keys sit in the wrong bucket and lookups miss. `HASHMAP_ORACLE` finds that.
 *
 * Generated once into ~/.cache/kbisect-bench (deterministic: fixed dates, seeded choices) and
 * reused; the cache key names the generator's version and the commit count.
 */
export interface LibbpfHistory {
  dir: string;
  good: string;
  bad: string;
  culprit: string;
  commits: number;
  merges: number;
}

const TARBALL = '/usr/src/linux-source-6.1.tar.xz';
const TOP = 'linux-source-6.1';
const PARTS = [
  'tools/lib/bpf',
  'tools/include',
  'tools/build',
  'tools/scripts',
  'tools/arch',
  'include/uapi',
  'scripts/bpf_doc.py',
];
const VERSION = 1;

/** The build: only the static library (the shared one compiles every file a second time). */
export const LIBBPF_BUILD = 'make -s -C tools/lib/bpf -j2 libbpf.a';

/**
 * The oracle, as `git bisect run` and kbisect's command oracle run it in the tree: a small
 * program linked with the tree's libbpf.a adds 2000 keys to a libbpf hashmap and finds them.
 * 0 = good, 1 = bad (a key lost), 125 = no library to test (a build that failed).
 */
export const HASHMAP_ORACLE_C = `#include <stdio.h>
#include <stdint.h>
#include "hashmap.h"

static size_t hash(const void *key, void *ctx) { return (size_t)(uintptr_t)key * 2654435761u; }
static bool equal(const void *a, const void *b, void *ctx) { return a == b; }

int main(void)
{
	struct hashmap *map = hashmap__new(hash, equal, NULL);
	void *value;
	uintptr_t key;
	for (key = 1; key <= 2000; key++)
		hashmap__add(map, (void *)key, (void *)(key * 3));
	for (key = 1; key <= 2000; key++) {
		if (!hashmap__find(map, (void *)key, &value) || (uintptr_t)value != key * 3) {
			printf("key %lu lost\\n", (unsigned long)key);
			return 1;
		}
	}
	puts("all 2000 keys found");
	return 0;
}
`;

/** The oracle's command line; `oracleSource` is where HASHMAP_ORACLE_C was written. */
export function hashmapOracle(oracleSource: string): string {
  return (
    'test -f tools/lib/bpf/libbpf.a || exit 125; o=$(mktemp); ' +
    `cc -O1 -Itools/lib/bpf -Itools/include ${oracleSource} tools/lib/bpf/libbpf.a -lelf -lz -o $o || exit 125; ` +
    '$o; r=$?; rm -f $o; exit $r'
  );
}

export function benchCacheDir(): string {
  return process.env.KBISECT_BENCH_CACHE ?? join(homedir(), '.cache', 'kbisect-bench');
}

/** The history of `commits` commits (about; merges count), generated on first use. */
export function libbpfHistory(
  commits = 250,
  say: (text: string) => void = () => {},
): LibbpfHistory {
  const root = join(benchCacheDir(), `libbpf-history-v${VERSION}-${commits}`);
  const manifest = join(root, 'history.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')) as LibbpfHistory;
  rmSync(root, { recursive: true, force: true });
  const dir = join(root, 'repo');
  mkdirSync(dir, { recursive: true });
  say(`generating a ${commits}-commit history over libbpf in ${dir} (once)`);
  execFileSync(
    'tar',
    ['-xJf', TARBALL, '--strip-components=1', '-C', dir, ...PARTS.map((p) => `${TOP}/${p}`)],
    { stdio: 'inherit' },
  );
  const history = generate(dir, commits);
  writeFileSync(manifest, `${JSON.stringify(history, null, 2)}\n`);
  return history;
}

function generate(dir: string, target: number): LibbpfHistory {
  let clock = Date.parse('2023-01-02T09:00:00Z') / 1000;
  const git = (...args: string[]) => {
    clock += 1800;
    const date = `${clock} +0000`;
    return execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      maxBuffer: 64 << 20,
    }).trim();
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@kbisect.invalid');
  git('config', 'user.name', 'kbisect bench');
  writeFileSync(join(dir, '.gitignore'), '');
  git('add', '-A');
  git('commit', '-q', '-m', 'Import libbpf and what it builds from (linux-source-6.1)');
  git('tag', 'bench-good');
  const good = git('rev-parse', 'HEAD');

  const random = mulberry32(6_1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const bpf = join(dir, 'tools/lib/bpf');
  const sources = readdirSync(bpf)
    .filter((f) => f.endsWith('.c') && f !== 'hashmap.c')
    .map((f) => `tools/lib/bpf/${f}`);
  const headers = ['libbpf_internal.h', 'libbpf.h', 'btf.h', 'bpf.h', 'str_error.h', 'nlattr.h']
    .map((f) => `tools/lib/bpf/${f}`)
    .concat(['tools/include/linux/err.h', 'tools/include/linux/kernel.h']);
  const culpritAt = Math.floor(target * 0.61);
  let made = 1;
  let merges = 0;
  let culprit = '';

  const commitEdit = (files: readonly string[]) => {
    const { file, subject } = edit(dir, pick(files), random, made);
    git(
      'commit',
      '-q',
      '-am',
      subject,
      '-m',
      `Signed-off-by: kbisect bench <bench@kbisect.invalid>`,
    );
    made++;
    return file;
  };

  while (made < target) {
    if (made === culpritAt) {
      const path = join(bpf, 'hashmap.c');
      const before = readFileSync(path, 'utf8');
      const after = before.replace(
        'h = hash_bits(map->hash_fn(cur->key, map->ctx), new_cap_bits);',
        'h = hash_bits(map->hash_fn(cur->key, map->ctx), map->cap_bits);',
      );
      if (after === before) throw new Error('hashmap.c: the culprit line is not there');
      writeFileSync(path, after);
      git('commit', '-q', '-am', 'libbpf: hashmap: reuse the bucket index width while growing');
      culprit = git('rev-parse', 'HEAD');
      made++;
      continue;
    }
    // Every ~40 commits a topic branch of a few commits (sources of one half of the tree)
    // while main goes on in the other half, then a merge: the shape of a real history.
    if (made % 40 === 20 && made + 8 < target && Math.abs(made - culpritAt) > 10) {
      const half = Math.floor(sources.length / 2);
      const topic = `topic-${made}`;
      git('checkout', '-q', '-b', topic);
      for (let i = 0; i < 4; i++) commitEdit(sources.slice(0, half));
      git('checkout', '-q', 'main');
      for (let i = 0; i < 3; i++) commitEdit(sources.slice(half));
      git('merge', '-q', '--no-ff', '-m', `Merge branch '${topic}'`, topic);
      git('branch', '-q', '-D', topic);
      made++;
      merges++;
      continue;
    }
    commitEdit(random() < 0.2 ? headers : sources);
  }
  const bad = git('rev-parse', 'HEAD');
  const commits = Number(git('rev-list', '--count', bad, `^${good}`));
  return { dir, good, bad, culprit, commits, merges };
}

const VERBS = ['clarify', 'document', 'note', 'explain', 'describe', 'tidy', 'annotate'];
const TOPICS = [
  'error paths',
  'map creation',
  'BTF dedup',
  'ring buffer polling',
  'CO-RE relocations',
  'netlink attributes',
  'program loading',
  'skeleton setup',
  'USDT arguments',
  'legacy probes',
];

/**
 * One small edit that keeps the tree building: a comment before a top-level definition, or
 * (in a source file) an unused constant, which changes the object file.
 */
function edit(dir: string, file: string, random: () => number, n: number) {
  const path = join(dir, file);
  const lines = readFileSync(path, 'utf8').split('\n');
  const topic = TOPICS[Math.floor(random() * TOPICS.length)] as string;
  const verb = VERBS[Math.floor(random() * VERBS.length)] as string;
  const name =
    file
      .split('/')
      .pop()
      ?.replace(/\.[ch]$/, '') ?? file;
  if (file.endsWith('.c') && random() < 0.4) {
    lines.push(
      `static const char kb_note_${n}[] __attribute__((unused)) = "${name}: ${topic}";`,
      '',
    );
    writeFileSync(path, lines.join('\n'));
    return { file, subject: `libbpf: ${name}: keep a note on ${topic}` };
  }
  const anchors = lines
    .map((line, i) => ({ line, i }))
    .filter(
      ({ line, i }) =>
        /^(static |struct |enum |int |void |LIBBPF_API |#define )/.test(line) &&
        !(lines[i - 1] ?? '').trimEnd().endsWith('\\') &&
        !(lines[i - 1] ?? '').trimStart().startsWith('*'),
    );
  const anchor = anchors[Math.floor(random() * anchors.length)];
  const at = anchor ? anchor.i : lines.length;
  lines.splice(at, 0, `/* ${name}: ${verb} ${topic} (${n}) */`);
  writeFileSync(path, lines.join('\n'));
  return { file, subject: `libbpf: ${name}: ${verb} ${topic}` };
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
