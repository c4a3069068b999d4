import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LabConfig } from './lab-config.js';

const execFileAsync = promisify(execFile);

/** The end of the lab's console log (its console command, run on the worker host), if any. */
export async function consoleTail(config: LabConfig, lines = 60): Promise<string | undefined> {
  const [file, ...args] = config.consoleLogCommand ?? [];
  if (!file) return undefined;
  try {
    const { stdout } = await execFileAsync(file, args, {
      timeout: 15_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    return stdout.trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(console command failed: ${(error as Error).message.split('\n')[0]})`;
  }
}
