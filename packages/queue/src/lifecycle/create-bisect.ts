import { randomBytes } from 'node:crypto';
import type { Repositories, ServiceConfig } from '@kbisect/config';
import { labProblems, type ServiceLabs } from '@kbisect/config';
import type { BisectRecord, BisectSpec, ResolvedRangeSummary } from '@kbisect/contracts';
import { directionProblems, goodRefs, networkProblems, specProblems } from '@kbisect/contracts';
import {
  GitCommandFailed,
  GitTimedOut,
  GoodEqualsBad,
  GoodNotAncestor,
  NoGoodCommit,
  RepositoryNotFound,
  resolveRange,
  UnknownRef,
} from '@kbisect/git';
import { BisectRefused } from '../errors/bisect-refused.js';
import type { Queues } from '../queues.js';
import { bodyHash } from '../store/idempotency.js';
import type { Stores } from '../store/stores.js';
import { webhookSecretFor, webhookTargetId } from './webhook.js';

export interface BisectStarter {
  stores: Stores;
  queues: Queues;
  repositories: Repositories;
  config: ServiceConfig;
  /**
   * The labs a bisect may name. The API passes the deployment's; a worker starting a watch's
   * bisect passes none, since its config lists only the labs it serves and the watch's lab
   * was checked when the watch was created.
   */
  labs?: ServiceLabs;
}

export interface BisectRequest {
  spec: BisectSpec;
  /** The token's name, or `watch:<id>`: the record's `submittedBy`, the idempotency scope. */
  submittedBy: string;
  /** A retry with the same key and spec returns the bisect the first request created. */
  idempotencyKey?: string;
  /** The id to give the bisect (a watch run records it before); a new random id otherwise. */
  id?: string;
}

export interface CreatedBisect {
  record: BisectRecord;
  /** The bisect an earlier request with the same Idempotency-Key created. */
  replayed: boolean;
}

export const newBisectId = () => `b${randomBytes(6).toString('hex')}`;

/**
 * Starts a bisect: the one way, for `POST /v1/bisects` and for a watch that found a
 * regression. Checks the spec (the rules a schema cannot say, then what this service can
 * run), resolves the refs in the mirror so a typo is refused now and a branch that moves
 * later does not move the range, stores the record and queues its coordinator
 * (jobId = bisect id). Refusals are `BisectRefused`, naming each field.
 */
export async function createBisect(
  starter: BisectStarter,
  request: BisectRequest,
): Promise<CreatedBisect> {
  const { stores, queues } = starter;
  const { spec, submittedBy, idempotencyKey: key } = request;
  const invalid = specProblems(spec);
  if (invalid.length > 0) throw BisectRefused.of('invalid', invalid);
  // Well-formed, but a direction against the oracle's own, or a lab not served here.
  const unservable = [
    ...directionProblems(spec),
    ...(starter.labs ? labProblems(spec, starter.labs) : []),
    ...networkProblems(spec, starter.config.sandbox.allowNetwork),
  ];
  if (unservable.length > 0) throw BisectRefused.of('unservable', unservable);
  if (spec.webhook && !webhookSecretFor(starter.config, webhookTargetId(spec.webhook))) {
    const message =
      'this service has no webhook signing secret, and webhooks are never sent unsigned: ' +
      'set webhooks.secret in the service config or KBISECT_WEBHOOK_SECRET ' +
      `(or webhooks.secrets.${webhookTargetId(spec.webhook)} for this URL), or drop "webhook"`;
    throw new BisectRefused('unservable', message, [{ path: 'body/webhook', message }]);
  }
  if (spec.notify?.length && !starter.config.mail) {
    const message =
      'this service sends no mail: add a `mail` section (smtp or mbox) to the service config, ' +
      'or drop "notify"';
    throw new BisectRefused('unservable', message, [{ path: 'body/notify', message }]);
  }
  const id = request.id ?? newBisectId();
  if (key) {
    const claim = await stores.idempotency.claim(submittedBy, key, {
      bisectId: id,
      bodyHash: bodyHash(spec),
    });
    if (claim.kind === 'taken') {
      if (claim.claim.bodyHash !== bodyHash(spec)) {
        throw new BisectRefused(
          'unservable',
          'this Idempotency-Key was used with a different body; use a new key for a new bisect',
        );
      }
      const existing = await stores.bisects.get(claim.claim.bisectId);
      if (!existing) {
        throw new BisectRefused(
          'in-flight',
          'a request with this Idempotency-Key is still being processed',
        );
      }
      return { record: existing, replayed: true };
    }
  }
  try {
    const range = await resolveSubmittedRange(starter.repositories, spec);
    const record: BisectRecord = {
      id,
      status: 'queued',
      spec,
      range,
      submittedBy,
      createdAt: new Date().toISOString(),
    };
    // The record is the commit point, written last: a request that fails before it (Redis
    // gone mid-POST, a client that gave up) leaves a coordinator job that finds no record and
    // ends without doing anything, never a bisect that starts after its caller heard 503.
    await queues.coordinator.add('bisect', { bisectId: record.id }, { jobId: record.id });
    await stores.events.append(record.id, 'status', { status: 'queued' });
    await stores.bisects.create(record);
    if (request.id) await rearmCoordinator(queues, id);
    return { record, replayed: false };
  } catch (error) {
    if (key) await stores.idempotency.release(submittedBy, key, id);
    throw error;
  }
}

/**
 * A caller that chose the id (a watch run retried after a crash) may be committing a bisect
 * whose coordinator job, queued by the crashed attempt, already gave up waiting for the record:
 * run that job again. Best effort after the commit point; a worker's reconcile catches the rest.
 */
async function rearmCoordinator(queues: Queues, id: string): Promise<void> {
  try {
    const job = await queues.coordinator.getJob(id);
    if (job && (await job.isFailed())) await job.retry('failed');
  } catch {
    // The record is committed; an unreachable queue is the reconcile's to repair.
  }
}

/** The refs of the spec as shas in a freshly fetched mirror; git's refusals as `BisectRefused`. */
async function resolveSubmittedRange(
  repositories: Repositories,
  spec: BisectSpec,
): Promise<ResolvedRangeSummary> {
  const firstParent = spec.firstParent ?? false;
  try {
    const repository = await repositories.get(spec.repo);
    // A mirror cloned last week would name last week's commit for `main`, as `kbisect run` knows.
    await repository.fetch().catch((error: unknown) => {
      // A source that has gone is the request's problem to hear about, naming it, not a 500.
      if (!(error instanceof GitCommandFailed)) throw error;
      throw new BisectRefused(
        'unservable',
        `cannot fetch ${spec.repo}: ${error.stderr.trim() || `git exited with code ${error.exitCode}`}`,
        [{ path: '/repo', message: 'cannot fetch the repository' }],
      );
    });
    const resolved = await resolveRange(repository, {
      good: goodRefs(spec),
      bad: spec.bad,
      firstParent,
    });
    return {
      bad: resolved.bad,
      goods: resolved.goods,
      firstParent,
      commits: resolved.commits.length,
    };
  } catch (error) {
    const refused = (path: string, message: string) =>
      new BisectRefused('unservable', (error as Error).message, [{ path, message }]);
    if (error instanceof UnknownRef) {
      throw refused(error.ref === spec.bad ? '/bad' : '/good', `unknown ref "${error.ref}"`);
    }
    if (error instanceof RepositoryNotFound) throw refused('/repo', 'repository not found');
    // A remote that does not answer in time (a clone or a fetch): the request's problem too.
    if (error instanceof GitTimedOut) throw refused('/repo', 'git timed out');
    if (
      error instanceof GoodNotAncestor ||
      error instanceof GoodEqualsBad ||
      error instanceof NoGoodCommit
    ) {
      throw refused('/good', error.message);
    }
    throw error;
  }
}
