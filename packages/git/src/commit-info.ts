import type { SimpleGit } from 'simple-git';
import { assertSha } from './sha.js';

/** What a report says about a commit, in the words `git log` uses. */
export interface CommitInfo {
  sha: string;
  parents: string[];
  subject: string;
  author: { name: string; email: string };
  /** Strict ISO 8601 with the author's offset, e.g. 2012-10-01T00:00:00+02:00. */
  authorDate: string;
  committerDate: string;
  /** Who applied it: a maintainer, in a kernel tree; a report mail Ccs them. */
  committer: { name: string; email: string };
  /** `git describe --always --tags`, e.g. v3.7-rc1-12-gabcdef0; a short sha without tags. */
  describe: string;
}

const FORMAT = ['%H', '%P', '%s', '%an', '%ae', '%aI', '%cn', '%ce', '%cI'].join('%x00');
const FIELD_COUNT = 9;
// Keeps each command line well under ARG_MAX even for a whole kernel release's commits.
const CHUNK = 1000;

/** Reads many commits with one `git log` and one `git describe` per chunk, not per commit. */
export async function readCommitInfos(
  git: SimpleGit,
  shas: readonly string[],
): Promise<CommitInfo[]> {
  for (const sha of shas) assertSha(sha, 'commit');
  const unique = [...new Set(shas)];
  const bySha = new Map<string, CommitInfo>();
  for (let start = 0; start < unique.length; start += CHUNK) {
    const chunk = unique.slice(start, start + CHUNK);
    const [logOutput, describes] = await Promise.all([
      git.raw([
        'log',
        '--no-walk=unsorted',
        '--no-show-signature',
        '-z',
        `--format=${FORMAT}`,
        ...chunk,
        '--',
      ]),
      describeAll(git, chunk),
    ]);
    for (const info of parseLog(logOutput)) {
      bySha.set(info.sha, { ...info, describe: describes.get(info.sha) ?? shortSha(info.sha) });
    }
  }
  return shas.map((sha) => {
    const info = bySha.get(sha);
    if (!info) throw new Error(`git log did not report commit ${sha}`);
    return info;
  });
}

async function describeAll(git: SimpleGit, shas: readonly string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  try {
    const lines = (await git.raw(['describe', '--always', '--tags', ...shas])).split('\n');
    shas.forEach((sha, index) => {
      const line = lines[index]?.trim();
      if (line) result.set(sha, line);
    });
  } catch {
    // A name is a nicety for reports; the short sha the caller falls back to is enough.
  }
  return result;
}

function parseLog(output: string): Omit<CommitInfo, 'describe'>[] {
  const fields = output.split('\0');
  if (fields.length % FIELD_COUNT === 1 && fields.at(-1)?.trim() === '') fields.pop();
  if (fields.length % FIELD_COUNT !== 0) {
    throw new Error(`unexpected git log output: ${fields.length} fields`);
  }
  const infos: Omit<CommitInfo, 'describe'>[] = [];
  for (let index = 0; index < fields.length; index += FIELD_COUNT) {
    const record = fields.slice(index, index + FIELD_COUNT);
    const field = (position: number) => record[position] ?? '';
    infos.push({
      // -z separates records with NUL, but a newline may still trail the last one.
      sha: field(0).trim(),
      parents: field(1) ? field(1).split(' ') : [],
      subject: field(2),
      author: { name: field(3), email: field(4) },
      authorDate: field(5),
      committer: { name: field(6), email: field(7) },
      committerDate: field(8).trim(),
    });
  }
  return infos;
}

function shortSha(sha: string): string {
  return sha.slice(0, 12);
}
