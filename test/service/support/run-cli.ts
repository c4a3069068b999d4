import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const KBISECT = join(dirname(fileURLToPath(import.meta.url)), '../../../apps/cli/bin/kbisect.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The JSON object on the last stdout line, when there is one. */
  json?: Record<string, unknown>;
}

/** Runs the real `kbisect` binary with its own environment, bounded in time. */
export function kbisect(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KBISECT, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KBISECT_TOKEN: '', KBISECT_SERVER: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, ...(json ? { json } : {}) });
    });
  });
}
