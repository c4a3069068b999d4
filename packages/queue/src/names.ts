/**
 * The BullMQ queues of the service. Build and lab-test work have their own queues so build
 * hosts and lab hosts can be different machines and scale separately.
 */
export const QUEUE = {
  /** One job per bisect, jobId = bisect id: runs the bisect loop from the journal. */
  coordinator: 'coordinator',
  /** Checks out and builds one commit on a build host. */
  build: 'build',
  /** Runs the oracle once on a built commit, on the lab named by the job. */
  labTest: 'lab-test',
  /** One job per run of a watch, produced by the watch's job scheduler (or run now). */
  watch: 'watch',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

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
