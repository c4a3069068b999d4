import { constants } from 'node:fs';
import { mkdir, open, realpath } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { type Static, Type } from 'typebox';

/** At most this many files, and this many bytes of content in all, per oracle. */
export const MAX_ORACLE_FILES = 32;
export const MAX_ORACLE_FILES_BYTES = 256 * 1024;

/**
 * A file the oracle's command needs (a test script, its input), carried inside the spec:
 * written into the directory the command runs in before each sample, on the worker host as
 * on a lab, so a test that is not in the repository under test runs the same in both places.
 */
export const OracleFile = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'relative to the directory the command runs in, e.g. tests/stall.sh; no ..',
    }),
    content: Type.String({ maxLength: MAX_ORACLE_FILES_BYTES, description: 'UTF-8 text' }),
    mode: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 0o777,
        description: 'permission bits, e.g. 493 (0755) for a script (default 420, 0644)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type OracleFile = Static<typeof OracleFile>;

export const OracleFiles = Type.Array(OracleFile, {
  maxItems: MAX_ORACLE_FILES,
  description: `files written into the command's directory before each sample (at most ${MAX_ORACLE_FILES}, ${MAX_ORACLE_FILES_BYTES / 1024} KiB in all)`,
});

export const DEFAULT_ORACLE_FILE_MODE = 0o644;

/** One thing wrong with an oracle's files, by its JSON path under the oracle. */
export interface OracleFileProblem {
  path: string;
  message: string;
}

/**
 * The rules a schema cannot say: a path stays inside the directory (no absolute path, no
 * `..`, no empty or `.` segment, no backslash), names no file twice, and all contents
 * together stay under the cap. Checked when a spec comes in and again before writing.
 */
export function oracleFileProblems(files: readonly OracleFile[]): OracleFileProblem[] {
  const problems: OracleFileProblem[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (const [i, file] of files.entries()) {
    const segments = file.path.split('/');
    const bad = file.path.startsWith('/')
      ? 'is absolute: give it relative to the directory the command runs in'
      : file.path.includes('\\') || file.path.includes('\0')
        ? 'may not contain a backslash or NUL'
        : segments.some((s) => s === '..')
          ? 'may not contain ..: files stay inside the directory the command runs in'
          : segments.some((s) => s === '' || s === '.')
            ? 'has an empty or . segment: write it as a/b.sh'
            : seen.has(file.path)
              ? 'is given twice'
              : undefined;
    if (bad) problems.push({ path: `/files/${i}/path`, message: `${file.path} ${bad}` });
    seen.add(file.path);
    bytes += Buffer.byteLength(file.content, 'utf8');
  }
  if (bytes > MAX_ORACLE_FILES_BYTES) {
    problems.push({
      path: '/files',
      message: `${bytes} bytes in all, above the ${MAX_ORACLE_FILES_BYTES}; put larger inputs in the repository`,
    });
  }
  return problems;
}

/**
 * Writes the files under `dir` on this host. The directory may be a worktree of the
 * repository under test, whose symlinks could point anywhere: every parent must resolve
 * inside `dir`, and the file itself is opened without following a symlink.
 */
export async function writeOracleFilesHere(
  dir: string,
  files: readonly OracleFile[],
): Promise<void> {
  const root = await realpath(dir);
  for (const file of files) {
    const target = join(root, file.path);
    await mkdir(dirname(target), { recursive: true });
    const parent = await realpath(dirname(target));
    if (parent !== root && !parent.startsWith(`${root}${sep}`)) {
      throw new Error(`oracle file ${file.path}: its directory resolves outside ${dir}`);
    }
    const mode = file.mode ?? DEFAULT_ORACLE_FILE_MODE;
    const handle = await open(
      target,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      mode,
    );
    try {
      await handle.writeFile(file.content, 'utf8');
      // An existing file keeps its old mode through O_CREAT: set the asked one.
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
  }
}
