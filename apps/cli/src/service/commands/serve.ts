import { startApi } from '@kbisect/api';
import { loadConfig } from '@kbisect/config';
import { type RunningWorker, startWorker } from '@kbisect/worker';

export interface ServeFlags {
  port?: string;
  host?: string;
  redisUrl?: string;
  config?: string;
  worker: boolean;
}

const overridesOf = (flags: { port?: string; host?: string; redisUrl?: string }) => ({
  ...(flags.port !== undefined ? { 'api.port': Number(flags.port) } : {}),
  ...(flags.host !== undefined ? { 'api.host': flags.host } : {}),
  ...(flags.redisUrl !== undefined ? { 'redis.url': flags.redisUrl } : {}),
});

/**
 * `kbisect serve`: the API and a worker in this process (`--no-worker` for the API alone).
 * Runs until SIGTERM or Ctrl-C, then stops gracefully: the worker hands its bisects back to
 * the queue, the API finishes its requests.
 */
export async function serveCommand(flags: ServeFlags): Promise<number> {
  const config = await loadConfig({
    ...(flags.config ? { file: flags.config } : {}),
    overrides: overridesOf(flags),
  });
  // The API first: it refuses a configuration without tokens before a worker takes any job.
  const api = await startApi(config);
  let worker: RunningWorker | undefined;
  try {
    worker = flags.worker
      ? await startWorker(config, flags.config ? { configFile: flags.config } : {})
      : undefined;
  } catch (error) {
    await api.close();
    throw error;
  }
  await untilStopped(async () => {
    await worker?.close();
    await api.close();
  });
  return 0;
}

/** `kbisect worker`: a worker alone, for build and lab hosts. */
export async function workerCommand(
  flags: Omit<ServeFlags, 'worker' | 'port' | 'host'>,
): Promise<number> {
  const config = await loadConfig({
    ...(flags.config ? { file: flags.config } : {}),
    overrides: overridesOf(flags),
  });
  const worker: RunningWorker = await startWorker(
    config,
    flags.config ? { configFile: flags.config } : {},
  );
  await untilStopped(() => worker.close());
  return 0;
}

function untilStopped(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const onSignal = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      stop().then(() => {
        // Stopped: a Redis connection still retrying (Redis is away) must not keep the
        // process alive. Exits with the command's code once it is set.
        setTimeout(() => process.exit(), 1000).unref();
        resolve();
      }, reject);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
