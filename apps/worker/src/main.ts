/**
 * A worker process on its own: `node --import tsx apps/worker/src/main.ts [--config FILE]`.
 * The configuration comes from the file and the environment (REDIS_URL, ...); see
 * docs/service.md. `kbisect worker` does the same through the CLI.
 */
import { ConfigInvalid, loadConfig } from '@kbisect/config';
import { startWorker } from './start-worker.js';

const flag = process.argv.indexOf('--config');
const file = flag === -1 ? undefined : process.argv[flag + 1];

try {
  const config = await loadConfig(file ? { file } : {});
  const worker = await startWorker(config, file ? { configFile: file } : {});
  const stop = (signal: NodeJS.Signals) => {
    worker.log.info({ signal }, 'stop requested');
    worker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        worker.log.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  process.stderr.write(
    `kbisect worker: ${error instanceof ConfigInvalid || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
