import { mkdir } from 'node:fs/promises';
import { type OracleFile, writeOracleFilesHere } from './oracle-file.js';
import { LocalRunner, type Runner } from './runner.js';

/**
 * Where an oracle runs: the worker host (`lab: local`), or a lab over SSH once its kernel is
 * deployed and proven (packages/lab's `labTarget`). The oracle only runs programs through
 * `runner` and puts files through the two hooks, so every oracle kind runs on every target.
 */
export interface OracleTarget {
  /** For messages: "this host", "lab vm-a". */
  readonly name: string;
  readonly runner: Runner;
  /** The target is another machine: tools built here (splice-bench) are linked statically. */
  readonly remote: boolean;
  /** Puts a program built on the worker host onto the target; returns its path there. */
  install(localPath: string): Promise<string>;
  /** Makes `dir` exist on the target and writes the oracle's files into it. */
  prepareDir(dir: string, files: readonly OracleFile[]): Promise<void>;
}

/** The worker host itself: programs run here, files are written here, nothing is copied. */
export function localTarget(runner: Runner = new LocalRunner()): OracleTarget {
  return {
    name: 'this host',
    runner,
    remote: false,
    install: (localPath) => Promise.resolve(localPath),
    async prepareDir(dir, files) {
      await mkdir(dir, { recursive: true });
      await writeOracleFilesHere(dir, files);
    },
  };
}
