import { Readable } from 'node:stream';
import {
  DEFAULT_ORACLE_FILE_MODE,
  type OracleTarget,
  type Runner,
  type RunOptions,
} from '@kbisect/oracle';
import { RemoteCommandFailed } from './errors/remote-command-failed.js';
import { installProgram } from './install-program.js';
import { DEFAULT_LAB_WORK_DIR } from './lab-config.js';
import type { LabSession } from './lab-session.js';
import { shellQuote } from './shell-quote.js';

/** A lab as the place an oracle runs, with the directory its commands run in. */
export interface LabTarget extends OracleTarget {
  /** The lab config's workDir: commands run there, oracle files are written there. */
  readonly workDir: string;
}

/**
 * The lab as an oracle target: programs run over SSH (`session.runner()`), programs built on
 * the worker are installed under workDir, the spec's files are written into workDir. Hand it
 * to `oracleFor` only once the lab's kernel is deployed and proven: the target knows nothing
 * of kernels, the oracle proves the release before each sample.
 */
export function labTarget(session: LabSession): LabTarget {
  const workDir = session.config.workDir ?? DEFAULT_LAB_WORK_DIR;
  const ssh = session.runner();
  const runner: Runner = {
    run: (argv, options) => ssh.run(argv, { ...options, env: oracleOwnVariables(options.env) }),
  };
  return {
    name: `lab ${session.config.name}`,
    runner,
    remote: true,
    workDir,
    install: (localPath) => installProgram(session, localPath, `${workDir}/.kbisect-programs`),
    async prepareDir(dir, files) {
      await session.check(`mkdir -p ${shellQuote(dir)}`);
      for (const file of files) {
        const path = `${dir}/${file.path}`;
        const part = `${path}.kbisect-part`;
        const mode = (file.mode ?? DEFAULT_ORACLE_FILE_MODE).toString(8);
        const command = `mkdir -p "$(dirname ${shellQuote(path)})" && cat > ${shellQuote(part)} && chmod ${mode} ${shellQuote(part)} && mv -f ${shellQuote(part)} ${shellQuote(path)}`;
        const result = await session.exec(command, { stdin: Readable.from([file.content]) });
        if (result.code !== 0) {
          throw new RemoteCommandFailed(
            session.config.name,
            `write oracle file ${file.path}`,
            result.code,
            result.stderr,
          );
        }
      }
    },
  };
}

/**
 * Only what the oracle set on top of the worker's own environment goes to the lab
 * (KBISECT_COMMIT, the spec's variables): the worker's variables may hold the service's
 * tokens and mean nothing on another machine, whatever a caller passed down.
 */
function oracleOwnVariables(env: RunOptions['env']): RunOptions['env'] {
  if (!env) return env;
  return Object.fromEntries(
    Object.entries(env).filter(([name, value]) => process.env[name] !== value),
  );
}
