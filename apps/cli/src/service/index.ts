import { ConfigInvalid } from '@kbisect/config';
import { errorResultObject } from '@kbisect/contracts';
import type { Command } from 'commander';
import { addBisectOptions } from '../commands/bisect-options.js';
import { parseServiceRunFlags, type RunFlags } from '../commands/run-options.js';
import { UsageError } from '../usage-error.js';
import { ApiRequestFailed, ServerUnreachable } from './client/errors.js';
import { followToEnd } from './commands/follow-to-end.js';
import {
  cancelCommand,
  fixedCommand,
  listCommand,
  markCommand,
  resumeCommand,
  statusCommand,
} from './commands/inspect.js';
import type { ServeFlags } from './commands/serve.js';
import { startCommand } from './commands/start.js';
import { registerWatchCommands } from './commands/watch.js';
import { addKernelBuildOptions, type KernelFlags, kernelBuildRequestOf } from './kernel-flags.js';
import { addClientOptions, type ClientFlags, clientFrom, collectLabel } from './service-flags.js';

/** Errors whose message is all a user needs: printed without a stack, exit code 1. */
const isUserError = (error: unknown): error is Error =>
  error instanceof ApiRequestFailed ||
  error instanceof ServerUnreachable ||
  error instanceof ConfigInvalid ||
  error instanceof UsageError;

/** Runs a client command, turning API and usage errors into a message and exit code 1. */
function action<A extends unknown[]>(
  run: (...args: A) => Promise<number>,
  userError: (error: unknown) => error is Error = isUserError,
) {
  return async (...args: A) => {
    try {
      process.exitCode = await run(...args);
    } catch (error) {
      if (userError(error)) {
        process.stderr.write(`kbisect: ${error.message}\n`);
        if (error instanceof ApiRequestFailed) {
          for (const d of error.details) process.stderr.write(`    ${d.path}: ${d.message}\n`);
        }
        // A CI script that asked for --json reads the last stdout line, even for a failure.
        if (process.argv.includes('--json')) {
          process.stdout.write(`${JSON.stringify(errorResultObject(error))}\n`);
        }
        process.exitCode = 1;
        return;
      }
      throw error;
    }
  };
}

/**
 * `serve` and `worker` load the service (BullMQ, Redis, Fastify, SSH to labs) when they run,
 * not when the CLI starts: `kbisect run` and the client commands never load it
 * (test/seams/package-seams.test.ts checks).
 */
function serviceAction<F>(name: 'serveCommand' | 'workerCommand') {
  return async (flags: F) => {
    const [commands, { RedisUnreachable }] = await Promise.all([
      import('./commands/serve.js'),
      import('@kbisect/queue'),
    ]);
    const command = commands[name] as (flags: F) => Promise<number>;
    const userError = (error: unknown): error is Error =>
      isUserError(error) || error instanceof RedisUnreachable;
    await action(command, userError)(flags);
  };
}

interface StartFlags extends RunFlags, ClientFlags, KernelFlags {
  wait?: boolean;
  label?: Record<string, string>;
  webhook?: string;
  lab?: string;
  idempotencyKey?: string;
  speculate?: boolean;
}

/**
 * The service commands: the client side (start, follow, status, list, cancel, resume, mark) and the
 * server side (serve, worker).
 */
export function registerServiceCommands(program: Command): void {
  addClientOptions(
    addKernelBuildOptions(
      addBisectOptions(
        program
          .command('start')
          .description('start a bisect in the kbisect service (same options as run)'),
        'git repository to bisect (a URL, or a path on the server host)',
        { recipes: true },
      ),
    ),
  )
    .option('--wait', 'follow it to the end and exit as `kbisect run` does')
    .option('--label <key=value>', 'a label, e.g. ci=https://ci/run/42 (repeatable)', collectLabel)
    .option('--webhook <url>', 'POSTed the result object when the bisect ends')
    .option('--lab <name>', 'local (default), a lab name, or pool:NAME')
    .option('--idempotency-key <key>', 'a retry with the same key returns the same bisect')
    .option(
      '--speculate',
      'build the next commits ahead even when a metric or splice oracle measures on the build host (a metric load does not change)',
    )
    .option('--no-speculate', 'build only the commit under test, never the next ones ahead')
    .action(
      action(async (flags: StartFlags) => {
        const run = parseServiceRunFlags({ ...flags, logLevel: 'info', logFormat: 'pretty' });
        const kernel = kernelBuildRequestOf(flags, run.buildTimeoutMs / 1000);
        return startCommand(clientFrom(flags), run, {
          ...(kernel ? { kernel } : {}),
          wait: flags.wait ?? false,
          json: flags.json ?? false,
          labels: flags.label ?? {},
          ...(flags.webhook ? { webhook: flags.webhook } : {}),
          ...(flags.lab ? { lab: flags.lab } : {}),
          ...(flags.idempotencyKey ? { idempotencyKey: flags.idempotencyKey } : {}),
          ...(flags.speculate !== undefined ? { speculate: flags.speculate } : {}),
        });
      }),
    );

  addClientOptions(
    program.command('follow <id>').description('follow a bisect live until it ends (reconnects)'),
  )
    .option('--after <event-id>', 'resume after this event id instead of from the start')
    .action(
      action(async (id: string, flags: ClientFlags & { after?: string }) =>
        followToEnd(clientFrom(flags), id, {
          json: flags.json ?? false,
          eventsAsJson: true,
          ...(flags.after ? { after: flags.after } : {}),
        }),
      ),
    );

  addClientOptions(program.command('status <id>').description('where a bisect stands')).action(
    action(async (id: string, flags: ClientFlags) =>
      statusCommand(clientFrom(flags), id, flags.json ?? false),
    ),
  );

  addClientOptions(program.command('list').description('bisects, newest first'))
    .option('--status <status>', 'only bisects in this status')
    .option('--label <key=value>', 'only bisects with this label')
    .option('--limit <n>', 'at most this many', '20')
    .option('--cursor <cursor>', 'the next page, as the previous list said')
    .action(
      action(
        async (
          flags: ClientFlags & { status?: string; label?: string; limit: string; cursor?: string },
        ) =>
          listCommand(
            clientFrom(flags),
            {
              ...(flags.status ? { status: flags.status } : {}),
              ...(flags.label ? { label: flags.label } : {}),
              limit: Number(flags.limit),
              ...(flags.cursor ? { cursor: flags.cursor } : {}),
            },
            flags.json ?? false,
          ),
      ),
    );

  addClientOptions(program.command('cancel <id>').description('cancel a bisect')).action(
    action(async (id: string, flags: ClientFlags) =>
      cancelCommand(clientFrom(flags), id, flags.json ?? false),
    ),
  );

  addClientOptions(
    program
      .command('resume <id>')
      .description('run a bisect that ended in error again from its journal'),
  )
    .option('--wait', 'follow it to the end and exit as `kbisect run` does')
    .action(
      action(async (id: string, flags: ClientFlags & { wait?: boolean }) =>
        resumeCommand(clientFrom(flags), id, {
          json: flags.json ?? false,
          wait: flags.wait ?? false,
        }),
      ),
    );

  addClientOptions(
    program
      .command('mark <id> <commit> <verdict>')
      .description('mark a commit good, bad or skip by hand, as git bisect good/bad/skip'),
  )
    .option('--note <text>', 'why, for the journal')
    .action(
      action(
        async (
          id: string,
          commit: string,
          verdict: string,
          flags: ClientFlags & { note?: string },
        ) => {
          if (verdict !== 'good' && verdict !== 'bad' && verdict !== 'skip') {
            throw new UsageError(`verdict '${verdict}': expected good, bad or skip`);
          }
          return markCommand(
            clientFrom(flags),
            id,
            commit,
            verdict,
            flags.note,
            flags.json ?? false,
          );
        },
      ),
    );

  addClientOptions(
    program
      .command('fixed <id> <commit>')
      .description('record the commit that fixed what a bisect found; its reports say so'),
  )
    .option('--note <text>', 'e.g. where the fix was discussed')
    .action(
      action(async (id: string, commit: string, flags: ClientFlags & { note?: string }) =>
        fixedCommand(clientFrom(flags), id, commit, flags.note, flags.json ?? false),
      ),
    );

  registerWatchCommands(program, action);

  program
    .command('serve')
    .description('run the kbisect service: the API and a worker in this process')
    .option('--port <port>', 'API port (default: config api.port, PORT, or 8080)')
    .option('--host <host>', 'API address to listen on (default 127.0.0.1)')
    .option(
      '--redis-url <url>',
      'Redis (default: config redis.url, REDIS_URL, or redis://127.0.0.1:6379)',
    )
    .option('--config <file>', 'YAML or JSON configuration (default: KBISECT_CONFIG)')
    .option('--no-worker', 'the API alone; workers run elsewhere (kbisect worker)')
    .action(serviceAction<ServeFlags>('serveCommand'));

  program
    .command('worker')
    .description('run a worker alone: coordinator, build and lab-test queues')
    .option(
      '--redis-url <url>',
      'Redis (default: config redis.url, REDIS_URL, or redis://127.0.0.1:6379)',
    )
    .option('--config <file>', 'YAML or JSON configuration (default: KBISECT_CONFIG)')
    .action(serviceAction<Omit<ServeFlags, 'worker' | 'port' | 'host'>>('workerCommand'));
}
