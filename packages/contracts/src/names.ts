import type { LabSpec } from './spec/bisect-spec.js';

/**
 * The BullMQ queues of the service. Build and lab-test work have their own queues so build
 * hosts and lab hosts can be different machines and scale separately.
 */
export const QUEUE = {
  /** One job per bisect, jobId = bisect id: runs the bisect loop from the journal. */
  coordinator: 'coordinator',
  /** Checks out and builds one commit on a build host. */
  build: 'build',
  /** Runs the oracle once on a built commit: the first part of every lab-test queue's name. */
  labTest: 'lab-test',
  /** One job per run of a watch, produced by the watch's job scheduler (or run now). */
  watch: 'watch',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

/**
 * What may follow `lab-test.<kind>.` in a queue name: BullMQ refuses ':' (its key separator),
 * and names stay readable in keys, metrics labels and bull-board URLs. Lab names are checked
 * against it when a lab config is loaded (packages/lab), and so are pool names.
 */
export const QUEUE_NAME_PART = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Lab-test jobs are routed so that only a worker that can run a job ever takes it; BullMQ has
 * no way for a worker to decline a job it has taken, so the choice is made by the queue:
 *
 * - `lab: 'local'`: `lab-test.host.<build host>`. The artifact is the worktree on the host
 *   that built it, and every worker consumes its own host's queue, so the oracle runs there.
 *   On a single host this is one queue, as before.
 * - `lab: {name}`: `lab-test.lab.<name>`, consumed by the workers that have that lab in their
 *   `labs`. A pool queue would not do: a worker with another lab of the same pool would take
 *   the job and could only fail it.
 * - `lab: {pool}`: `lab-test.pool.<pool>`, consumed by every worker with a lab in the pool:
 *   any of them can lease one of its labs of the pool (leases keep two workers off one lab).
 *
 * The queue is a function of the job alone (its lab, and the build result's host), so a
 * coordinator restarted from the journal finds its deterministic job ids on the same queues.
 */
export function labTestQueueOf(lab: LabSpec, buildHost: string): string {
  if (lab === 'local') return hostQueueName(buildHost);
  return 'pool' in lab ? poolQueueName(lab.pool) : labQueueName(lab.name);
}

/** The lab-test queues a worker on `host` with these labs consumes (see `labTestQueueOf`). */
export function labTestQueuesServed(
  labs: Iterable<{ name: string; pool: string }>,
  host: string,
): string[] {
  const names = new Set([hostQueueName(host)]);
  const pools = new Set<string>();
  for (const lab of labs) {
    names.add(labQueueName(lab.name));
    pools.add(lab.pool);
  }
  for (const pool of pools) names.add(poolQueueName(pool));
  return [...names];
}

export function labQueueName(lab: string): string {
  return `${QUEUE.labTest}.lab.${safePart(lab, 'lab name')}`;
}

export function poolQueueName(pool: string): string {
  return `${QUEUE.labTest}.pool.${safePart(pool, 'pool name')}`;
}

/**
 * A host name is what `os.hostname()` says, not checked by anyone: characters a queue name
 * must not have become '_' (the coordinator and the worker of a host map it the same way).
 */
export function hostQueueName(host: string): string {
  const part = host.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 128) || '_';
  return `${QUEUE.labTest}.host.${part}`;
}

function safePart(value: string, what: string): string {
  // Configs are checked when loaded, and the API refuses unknown labs and pools: this is a bug.
  if (!QUEUE_NAME_PART.test(value)) {
    throw new Error(`${what} ${JSON.stringify(value)} cannot be part of a queue name`);
  }
  return value;
}

/**
 * Job ids of the work a coordinator asks for. They are derived from the bisect, the journal
 * length when the step began, the commit and the occurrence of that request in the step, so a
 * coordinator restarted from the same journal asks for the same ids and re-attaches to work
 * that is queued, running or done instead of starting it again. BullMQ forbids ':' in ids.
 */
export function buildJobId(
  bisectId: string,
  journalLength: number,
  commit: string,
  kind: 'build' | 'revert',
  occurrence: number,
): string {
  return `${bisectId}.${journalLength}.${commit.slice(0, 16)}.${kind}${occurrence}`;
}

export function labTestJobId(buildJob: string, sampleIndex: number): string {
  return `${buildJob}.s${sampleIndex}`;
}
