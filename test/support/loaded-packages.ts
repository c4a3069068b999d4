import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '../..');
const PROBE = join(here, 'module-probe.mjs');

export interface ProbedRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** npm packages the process loaded (by their node_modules directory), e.g. 'bullmq'. */
  packages: Set<string>;
}

/**
 * Runs `node --import <probe> ...args` from the repository root and names every npm package
 * the process loaded from node_modules, ESM or CommonJS. Workspace packages are symlinks
 * that resolve to packages/ and apps/, so only third-party packages are named.
 */
export function runProbed(args: string[], env: NodeJS.ProcessEnv = {}): ProbedRun {
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-probe-'));
  const out = join(dir, 'modules.txt');
  try {
    const child = spawnSync(process.execPath, ['--import', PROBE, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, KBISECT_MODULE_PROBE: out },
      encoding: 'utf8',
      timeout: 120_000,
    });
    let lines: string[] = [];
    try {
      lines = readFileSync(out, 'utf8').split('\n');
    } catch {
      // No file: the process died before loading anything; status and stderr say why.
    }
    return {
      status: child.status,
      stdout: child.stdout,
      stderr: child.stderr,
      packages: packagesOf(lines),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function packagesOf(lines: readonly string[]): Set<string> {
  const packages = new Set<string>();
  for (const line of lines) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(decodeURIComponent(line));
    if (match?.[1]) packages.add(match[1]);
  }
  return packages;
}

/** Imports each module (a package name or path) in a fresh tsx process and exits. */
export function importProbed(...modules: string[]): ProbedRun {
  const code = `${modules.map((m) => `await import(${JSON.stringify(m)});`).join('\n')}`;
  return runProbed(['--import', 'tsx/esm', '--input-type=module', '-e', code]);
}
