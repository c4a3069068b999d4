import { closeSync, openSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  loadServiceLabs,
  Repositories,
  repositoryRules,
  type ServiceConfig,
} from '@kbisect/config';
import {
  errorResultObject,
  labTestQueuesServed,
  poolQueueName,
  QUEUE,
  redactUrl,
} from '@kbisect/contracts';
import type { LabConfig } from '@kbisect/lab/config';
import { MAIL_EVENT, mailSenderFor, startWebhookWorker, WebhookNotifier } from '@kbisect/notify';
import {
  closeQueues,
  createQueues,
  createStores,
  finishBisect,
  openServiceRedis,
  serviceLogger,
  webhookSecretFor,
} from '@kbisect/queue';
import { ProcessGroups, Sandbox } from '@kbisect/sandbox';
import { QueueEvents, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import { buildProcessor } from './build/build-processor.js';
import { KernelBuilders } from './build/kernel-builders.js';
import { LocalWorktrees } from './build/local-worktrees.js';
import { coordinatorProcessor } from './coordinator/coordinator-processor.js';
import { CoordinatorRuns } from './coordinator/coordinator-runs.js';
import { QueueEventsByName } from './coordinator/queue-events-by-name.js';
import { reconcileOpenBisects } from './coordinator/reconcile.js';
import { infrastructureBackoff, waitingLine } from './faults/infrastructure-retry.js';
import { Interrupts } from './interrupts.js';
import { KernelFiles } from './lab-test/kernel-files.js';
import { KexecLabs } from './lab-test/kexec-labs.js';
import { labTestProcessor } from './lab-test/lab-test-processor.js';
import { Oracles } from './lab-test/oracles.js';
import { watchProcessor } from './watch/watch-processor.js';

export interface RunningWorker {
  log: Logger;
  /**
   * Graceful stop: coordinators hand their bisects back at once (the journal holds their
   * state), running builds and tests get `shutdownGraceMs` to finish and are then handed back
   * too, and the Redis connections are closed.
   */
  close(): Promise<void>;
}

export interface StartWorkerOptions {
  /** Where JSON log lines go; stdout by default. */
  logDestination?: import('pino').DestinationStream;
  /** The file the config came from: hidden from commands (KBISECT_CONFIG when absent). */
  configFile?: string;
}

/** How long closing may take beyond the steps' grace before connections are dropped. */
const CLOSE_MARGIN_MS = 3000;

/** Starts the coordinator, build and lab-test processors of one worker process. */
export async function startWorker(
  config: ServiceConfig,
  options: StartWorkerOptions = {},
): Promise<RunningWorker> {
  // Kernel builds and kexec labs (docs/labs.md): a bad lab file stops the worker at start.
  const labs = await loadServiceLabs(config);
  const { redis, logErrorsTo } = await openServiceRedis(
    config.redis.url,
    `kbisect-worker-${hostname()}-${process.pid}`,
  );
  const stores = createStores(redis, config);
  const log = serviceLogger({
    level: config.log.level,
    events: stores.events,
    component: 'worker',
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  logErrorsTo((error) => log.warn({ err: error.message }, 'Redis connection error'));
  const prefix = config.redis.prefix;
  const queues = createQueues(redis, prefix);
  const queueEvents = {
    build: new QueueEvents(QUEUE.build, { connection: redis, prefix }),
    labTest: new QueueEventsByName({ connection: redis, prefix }),
  };
  const coordinatorEvents = new QueueEvents(QUEUE.coordinator, { connection: redis, prefix });
  const interrupts = new Interrupts();
  await interrupts.listen(stores.control);
  const repositories = new Repositories(config.cacheDir, repositoryRules(config), {
    sourceMayBeGone: true,
  });
  const worktrees = new LocalWorktrees(
    join(config.cacheDir, 'worktrees'),
    repositories.worktreesDir,
  );
  const kernelBuildDir = config.kernelBuildDir ?? join(config.cacheDir, 'kernel');
  const configFile = options.configFile ?? process.env.KBISECT_CONFIG;
  const sandbox = await workerSandbox(config, configFile, kernelBuildDir, labs.values());
  // A worker killed with SIGKILL leaves its builds and oracles running: they die before this
  // worker takes any job (and before every local measurement, LocalRunner).
  for (const orphan of await sandbox.reapOrphans()) {
    log.warn(orphan, `killed process group ${orphan.pgid} left by dead worker ${orphan.owner}`);
  }
  const oracles = new Oracles(config.cacheDir, sandbox);
  // Kernels built on other hosts arrive through Redis (stores.artifacts) and are kept here.
  const kernelFiles = new KernelFiles({
    store: stores.artifacts,
    cacheDir: join(config.cacheDir, 'fetched-kernels'),
    log,
  });
  const kexecLabs = new KexecLabs({ labs, redis, prefix, kernelFiles, oracles, log });

  const { worker: w } = config;
  const kernelBuilders = new KernelBuilders(kernelBuildDir, sandbox, w.concurrency.build);
  const common: Omit<WorkerOptions, 'concurrency'> = {
    connection: redis,
    prefix,
    lockDuration: w.lockDurationMs,
    stalledInterval: w.stalledIntervalMs,
    maxStalledCount: w.maxStalledCount,
    name: `${hostname()}:${process.pid}`,
    settings: { backoffStrategy: infrastructureBackoff(config.infrastructure) },
  };
  const runs = new CoordinatorRuns();
  const coordinator = new Worker(
    QUEUE.coordinator,
    coordinatorProcessor({
      runs,
      stores,
      queues,
      queueEvents,
      repositories,
      worktrees,
      interrupts,
      lockDurationMs: w.lockDurationMs,
      // get_maintainer.pl is the tree's code: it runs in the sandbox of builds and oracles.
      ...(config.mail?.getMaintainer ? { maintainers: { sandbox } } : {}),
      labs: {
        up: (pool) => kexecLabs.labsUp(pool),
        isUp: (lab) => kexecLabs.isUp(lab),
        sharesBuildHost: (lab) => kexecLabs.sharesBuildHost(lab),
      },
      log,
    }),
    { ...common, concurrency: w.concurrency.coordinator },
  );
  const build = new Worker(
    QUEUE.build,
    buildProcessor({
      stores,
      repositories,
      worktrees,
      interrupts,
      sandbox,
      kernelBuilders,
      progressIntervalMs: w.buildProgressMs,
      cacheDir: config.cacheDir,
      lockDurationMs: w.lockDurationMs,
      log,
    }),
    { ...common, concurrency: w.concurrency.build },
  );
  // Lab-test jobs are routed by queue (names.ts): this host's `local` tests, and the labs and
  // pools of this worker's `labs`. `concurrency.labTest` is per queue: tests on different labs
  // run side by side, and two tests that need one lab are serialised by its lease. A pool's
  // queue takes as many at once as this worker has labs in the pool: a bisect's round tests
  // one commit per lab (leases keep one test per lab).
  const labTestQueues = labTestQueuesServed(labs.values(), hostname());
  const processLabTest = labTestProcessor({ stores, oracles, interrupts, kexecLabs, log });
  const poolLabs = new Map<string, number>();
  for (const lab of labs.values()) {
    const queue = poolQueueName(lab.pool);
    poolLabs.set(queue, (poolLabs.get(queue) ?? 0) + 1);
  }
  const labTests = labTestQueues.map(
    (name) =>
      new Worker(name, processLabTest, {
        ...common,
        concurrency: Math.max(w.concurrency.labTest, poolLabs.get(name) ?? 0),
      }),
  );
  const notifier = new WebhookNotifier({
    connection: redis,
    prefix,
    attempts: config.webhooks.attempts,
    backoffMs: config.webhooks.backoffMs,
  });
  // Signs, posts and retries the deliveries the notifiers queue; logs each attempt per bisect.
  const webhooks = startWebhookWorker({
    connection: redis,
    prefix,
    secretFor: (targetId) => webhookSecretFor(config, targetId),
    timeoutMs: config.webhooks.timeoutMs,
    // The report mails share the queue, its retries and its delivery log.
    ...(config.mail ? { mail: mailSenderFor(config.mail) } : {}),
    onAttempt: (bisectId, attempt) =>
      log.info(
        { bisectId, [attempt.event === MAIL_EVENT ? 'mail' : 'webhook']: attempt },
        `${attempt.event === MAIL_EVENT ? 'mail' : 'webhook'} ${attempt.outcome}`,
      ),
    onError: (error) => log.error({ err: error, queue: 'webhook' }, 'worker error'),
  });
  // A watch run is a small coordinator: it queues the build and lab-test jobs of its tip.
  // Runs of different watches go side by side; a watch's lease (WatchRunLease) keeps its own
  // runs one at a time across workers, so each compares with the last good run before it.
  const watch = new Worker(
    QUEUE.watch,
    watchProcessor({
      stores,
      queues,
      queueEvents,
      repositories,
      worktrees,
      interrupts,
      config,
      notifier,
      lockDurationMs: w.lockDurationMs,
      log,
    }),
    { ...common, concurrency: w.concurrency.watch },
  );
  const workers = [coordinator, build, ...labTests, watch];
  for (const worker of workers) {
    worker.on('error', (error) => log.error({ err: error, queue: worker.name }, 'worker error'));
    worker.on('failed', (job, error) => {
      log.warn({ queue: worker.name, job: job?.id, err: error.message }, 'job failed');
      // In the bisect's progress: its step waits for the machine, it did not fail.
      const waiting = job && waitingLine(job, error, config.infrastructure);
      // The job's owner (a bisect, or a watch run) binds the line to its event stream.
      const owner = (job?.data as { owner?: Record<string, string> } | undefined)?.owner;
      if (waiting) log.warn({ ...owner, job: job.id, err: error.message }, waiting);
    });
  }
  // The lock of a build, test or watch run could not be renewed (its process did not run for
  // longer than the lock): another worker may run the job now, and its run is the one that
  // counts. This one stops at once (a step's process group is killed) and gives back only
  // what it holds itself (a watch run: nothing, its lease and worktrees are the new run's).
  // The builds are also stopped by job when their owner drops them (`drop-job`).
  for (const worker of [build, ...labTests, watch]) {
    interrupts.serve(worker);
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const jobId of jobIds) interrupts.stopRun(worker.name, jobId, 'lost-lock');
    });
  }
  // The lock of a coordinator could not be renewed: another worker may run the bisect now.
  coordinator.on('lockRenewalFailed', (jobIds) => {
    runs
      .checkLocks(jobIds)
      .catch((error: unknown) => log.warn({ err: error }, 'lock check failed'));
  });
  // A coordinator job that failed outside its processor (it stalled more often than
  // maxStalledCount, say) would leave its bisect "running" forever: end it as an error. Every
  // worker hears this; the first one ends the bisect, the others find it ended.
  coordinatorEvents.on('failed', ({ jobId, failedReason }) => {
    finishBisect(stores, jobId, 'error', log.child({ bisectId: jobId }), {
      result: errorResultObject(new Error(`the coordinator job failed: ${failedReason}`)),
    }).catch((error: unknown) => log.warn({ err: error, bisectId: jobId }, 'cannot end bisect'));
  });
  await Promise.all([
    ...workers.map((worker) => worker.waitUntilReady()),
    webhooks.worker.waitUntilReady(),
    queueEvents.build.waitUntilReady(),
    coordinatorEvents.waitUntilReady(),
  ]);
  // The API lists this host's queue in /metrics and bull-board.
  await stores.labTestHosts.announce(hostname());
  await reconcileOpenBisects(stores, queues, log);
  log.info(
    { redis: redactUrl(config.redis.url), prefix, concurrency: w.concurrency, labTestQueues },
    `worker ready: coordinator, build, lab-test, watch and webhook queues; commands run with ${sandbox.description}`,
  );

  const heartbeat = w.heartbeatFile
    ? startHeartbeat(w.heartbeatFile, () => redis.ping())
    : undefined;

  const closeGracefully = async () => {
    log.info('worker stopping: handing bisects back, letting running steps finish');
    if (heartbeat) clearInterval(heartbeat);
    // Watch runs are coordinators too: handed back at once, their jobs go on.
    const coordinatorClosed = Promise.all([coordinator.close(), watch.close()]);
    interrupts.shutdown('coordinator');
    const stepsClosed = Promise.all([build, ...labTests].map((step) => step.close()));
    const finished = await Promise.race([
      stepsClosed.then(() => true),
      sleep(w.shutdownGraceMs).then(() => false),
    ]);
    if (!finished) {
      log.info('grace period over: handing the running steps back');
      interrupts.shutdown('step');
    }
    await Promise.all([stepsClosed, coordinatorClosed]);
    await Promise.all([
      queueEvents.build.close(),
      queueEvents.labTest.close(),
      coordinatorEvents.close(),
    ]);
    await closeQueues(queues);
    kexecLabs.close();
    await Promise.all([
      webhooks.close(),
      notifier.close(),
      stores.webhooks.close(),
      stores.mails.close(),
    ]);
    await interrupts.close();
    log.info('worker stopped');
    await redis.quit().catch(() => redis.disconnect());
  };
  // Without Redis, handing jobs back and closing connections would wait for it forever.
  const forceClose = (afterMs: number) => {
    log.warn(
      { afterMs, redis: redis.status },
      'could not stop cleanly (is Redis unreachable?): disconnecting; the jobs of this worker ' +
        'are taken over by another worker when their locks expire',
    );
    interrupts.shutdown('step');
    for (const connection of [...workers, webhooks.worker, queueEvents.build, coordinatorEvents]) {
      connection.disconnect().catch(() => {});
    }
    queueEvents.labTest.close().catch(() => {});
    redis.disconnect();
  };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Without Redis nothing can be handed back or recorded: no grace for the steps then.
      const deadline = (redis.status === 'ready' ? w.shutdownGraceMs : 0) + CLOSE_MARGIN_MS;
      const stopped = await Promise.race([
        closeGracefully().then(() => true),
        sleep(deadline).then(() => false),
      ]);
      if (!stopped) forceClose(deadline);
    })();
    return closing;
  };
  return { log, close };
}

/**
 * The sandbox of this worker's commands. Hidden from them: the config file, the lab files and
 * their SSH keys, and the cache (mirrors, other bisects' worktrees, this worker's records);
 * each command gets its own worktree or build tree bound back in.
 */
function workerSandbox(
  config: ServiceConfig,
  configFile: string | undefined,
  kernelBuildDir: string,
  labs: Iterable<LabConfig>,
): Promise<Sandbox> {
  const stateDir = join(config.cacheDir, 'sandbox');
  const labFiles = [...labs].flatMap((lab) => (lab.privateKeyPath ? [lab.privateKeyPath] : []));
  return Sandbox.create({
    config: config.sandbox,
    stateDir,
    hidden: [
      ...(configFile ? [configFile] : []),
      ...config.labs,
      ...labFiles,
      // The SMTP password, when the mail section keeps it in a file.
      ...(config.mail?.smtp?.auth?.passwordFile ? [config.mail.smtp.auth.passwordFile] : []),
      config.cacheDir,
      kernelBuildDir,
    ],
    workDirs: [config.cacheDir, kernelBuildDir],
    groups: new ProcessGroups(join(stateDir, 'process-groups')),
  });
}

/**
 * Touches `file` every 10 s while Redis answers, so a container healthcheck can tell a live,
 * connected worker (a fresh file) from a hung or disconnected one (a stale file).
 */
function startHeartbeat(file: string, ping: () => Promise<unknown>): NodeJS.Timeout {
  const beat = () =>
    ping().then(
      () => {
        closeSync(openSync(file, 'a'));
        const now = new Date();
        utimesSync(file, now, now);
      },
      () => {},
    );
  void beat();
  const timer = setInterval(beat, 10_000);
  timer.unref();
  return timer;
}
