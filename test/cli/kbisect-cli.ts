import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { createLoopbackProject, type LoopbackProject } from '../fixtures/loopback-project.js';

export const KBISECT_BIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../apps/cli/bin/kbisect.js',
);

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The JSON object on the last stdout line, when there is one. */
  json?: Record<string, unknown>;
}

/** Runs the real `kbisect` binary as a user would, and collects what it printed. */
export function runKbisect(
  args: string[],
  options: {
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
    timeoutMs?: number;
  } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KBISECT_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1);
      let json: Record<string, unknown> | undefined;
      try {
        json = last ? (JSON.parse(last) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code, signal, stdout, stderr, ...(json ? { json } : {}) });
    });
  });
}

/**
 * A generated loopback project in a temporary directory for the tests of one file, made
 * before them and removed after them. Read its fields inside tests, not at module level.
 */
export function useLoopbackProject(prefix: string): { work: string; project: LoopbackProject } {
  const fixture = {} as { work: string; project: LoopbackProject };
  beforeAll(() => {
    fixture.work = mkdtempSync(join(tmpdir(), prefix));
    fixture.project = createLoopbackProject(join(fixture.work, 'repo'));
  });
  afterAll(() => rmSync(fixture.work, { recursive: true, force: true }));
  return fixture;
}
