/**
 * Redis keys of the service, all under one prefix so several deployments (or test runs)
 * share a Redis without colliding. BullMQ uses the same prefix for its queues; the queue
 * names above never collide with these.
 */
export interface Keys {
  prefix: string;
  /** Hash: the bisect record, one JSON value per field. */
  bisect(id: string): string;
  /** List: the verdict journal, append-only. */
  journal(id: string): string;
  /** Stream: log lines and state changes, bounded. */
  events(id: string): string;
  /** Sorted set of bisect ids by creation time (ms). */
  bisects: string;
  /** Set of bisect ids in one status. */
  status(status: string): string;
  idempotency(hash: string): string;
  /** Pub/sub channel: cancel and journal-changed notices to workers. */
  control: string;
  /** Hash of step-duration histogram counters written by workers, read by the API. */
  stepMetrics: string;
  /** Hash: one build artifact by content (its chunks and size), with a TTL. */
  artifact(sha256: string): string;
  /** Sorted set: hosts whose workers consume a `lab-test.host.<host>` queue, by start time (ms). */
  labTestHosts: string;
  /** String: the address the API listens at, for links made outside a request. */
  apiAddress: string;
}

export function keys(prefix: string): Keys {
  return {
    prefix,
    bisect: (id) => `${prefix}:bisect:${id}`,
    journal: (id) => `${prefix}:bisect:${id}:journal`,
    events: (id) => `${prefix}:bisect:${id}:events`,
    bisects: `${prefix}:bisects`,
    status: (status) => `${prefix}:bisects:${status}`,
    idempotency: (hash) => `${prefix}:idempotency:${hash}`,
    control: `${prefix}:control`,
    stepMetrics: `${prefix}:metrics:steps`,
    artifact: (sha256) => `${prefix}:artifact:${sha256}`,
    labTestHosts: `${prefix}:lab-test-hosts`,
    apiAddress: `${prefix}:api:address`,
  };
}
