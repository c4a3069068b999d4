import { isAbsolute } from 'node:path';
import { type RepositoryRules, repositoryRules, type ServiceConfig } from '@kbisect/config';
import type { BisectRecord, LabSpec } from '@kbisect/contracts';
import { checkSource, matchesPattern, RepositoryRefused, transportOf } from '@kbisect/git';
import type { WatchStore } from '@kbisect/queue';
import { BadRequest, Forbidden } from '../errors/http-errors.js';
import { applyRecipe, type OracleSpec, type RecipeFields } from './recipes.js';
import type { Caller } from './tokens.js';

/**
 * What a token may submit, checked before anything touches git or Redis: the repository (a
 * path on this host must be absolute; the service's allowlist and transports; the token's own
 * patterns), the lab, and whether it may bring commands of its own. Every refusal is a 403 that
 * names the rule, so the caller knows whom to ask and the operator what to change.
 */
export interface Submission {
  repo: string;
  lab?: LabSpec | undefined;
  /** The build and oracle the caller wrote, before a recipe is applied. */
  build?: unknown;
  oracle?: { kind: string } | undefined;
}

export async function checkSubmission(
  caller: Caller,
  submission: Submission,
  rules: RepositoryRules,
  recipeNames: readonly string[],
): Promise<void> {
  await checkRepository(caller, submission.repo, rules);
  checkLab(caller, submission.lab ?? 'local');
  checkCommands(caller, submission, recipeNames);
}

const tokenRule = (caller: Caller, field: string) => `auth.tokens[${caller.name}].${field}`;

async function checkRepository(caller: Caller, repo: string, rules: RepositoryRules) {
  // A relative path would be resolved against the service's working directory, which no
  // caller knows or should depend on: the documented choice is to refuse it.
  if (transportOf(repo) === 'file' && !repo.startsWith('file://') && !isAbsolute(repo)) {
    const message = `"${repo}" is a relative path; give an absolute path on the service host or a URL`;
    throw new BadRequest(`body/repo: ${message}`, [{ path: 'body/repo', message }]);
  }
  const { repos } = caller.policy;
  if (repos && !repos.some((pattern) => matchesPattern(pattern, repo))) {
    const message = `token "${caller.name}" may not use repository ${repo} (${tokenRule(caller, 'repos')}: ${repos.join(', ')})`;
    throw new Forbidden(message, [{ path: 'body/repo', message }]);
  }
  try {
    await checkSource(repo, rules.policy);
  } catch (error) {
    if (!(error instanceof RepositoryRefused)) throw error;
    throw new Forbidden(error.message, [{ path: 'body/repo', message: error.message }]);
  }
}

function checkLab(caller: Caller, lab: LabSpec) {
  const { labs, pools } = caller.policy;
  if (!labs && !pools) return;
  const allowed =
    lab === 'local'
      ? (labs ?? []).includes('local')
      : 'pool' in lab
        ? (pools ?? []).includes(lab.pool)
        : (labs ?? []).includes(lab.name);
  if (allowed) return;
  const named =
    lab === 'local' ? 'lab "local"' : 'pool' in lab ? `pool "${lab.pool}"` : `lab "${lab.name}"`;
  const message =
    `token "${caller.name}" may not use ${named} ` +
    `(${tokenRule(caller, 'labs')}: ${(labs ?? []).join(', ') || 'none'}; ${tokenRule(caller, 'pools')}: ${(pools ?? []).join(', ') || 'none'})`;
  throw new Forbidden(message, [{ path: 'body/lab', message }]);
}

/** Build commands, kernel builds (a compiler, config paths) and command oracles run code. */
function checkCommands(caller: Caller, submission: Submission, recipeNames: readonly string[]) {
  if (caller.policy.commands !== 'recipes') return;
  const freeForm = [
    ...(submission.build !== undefined ? ['body/build'] : []),
    ...(submission.oracle && submission.oracle.kind !== 'splice-loopback' ? ['body/oracle'] : []),
  ];
  if (freeForm.length === 0) return;
  const message =
    `token "${caller.name}" may not use free-form commands (${freeForm.join(', ')}); ` +
    `name a recipe instead ("recipe": ${recipeNames.map((n) => JSON.stringify(n)).join(', ') || 'none configured: ask the operator'}) ` +
    `(${tokenRule(caller, 'commands')} is "recipes")`;
  throw new Forbidden(
    message,
    freeForm.map((path) => ({
      path,
      message: 'free-form commands are not allowed for this token',
    })),
  );
}

/**
 * Cancel, mark, change and delete are for the owner (the token that submitted) or an admin
 * token: another user's bisect is not anyone's to end or re-mark.
 */
export function checkOwner(caller: Caller, owner: string, action: string, what: string): void {
  if (caller.admin || caller.name === owner) return;
  throw new Forbidden(
    `${what} belongs to "${owner}": only its owner or an admin token may ${action} it (token "${caller.name}" is neither)`,
  );
}

/**
 * The body of a new bisect or watch, checked against the caller's policy and the service's
 * repository rules, with its recipe applied: what the route stores. `brought` is what this
 * request itself wrote, when that is less than `body` (a PATCH merged into a stored spec):
 * commands already stored are not the caller's to answer for again.
 */
export async function admit<T extends Submission & RecipeFields>(
  caller: Caller | undefined,
  body: T,
  config: ServiceConfig,
  brought: Pick<Submission, 'build' | 'oracle'> = body,
): Promise<T & { oracle: OracleSpec }> {
  if (!caller) throw new Error('admit() runs after requireScope("write"), which sets the caller');
  await checkSubmission(
    caller,
    { repo: body.repo, lab: body.lab, build: brought.build, oracle: brought.oracle },
    repositoryRules(config),
    Object.keys(config.recipes),
  );
  return applyRecipe(body, config.recipes);
}

/**
 * Cancel, mark and resume of a bisect: its submitter or an admin. A bisect a watch started
 * (submittedBy `watch:<id>`) belongs to the watch's owner.
 */
export async function checkBisectOwner(
  caller: Caller,
  record: BisectRecord,
  watches: Pick<WatchStore, 'get'>,
  action: string,
): Promise<void> {
  const watchId = /^watch:(.+)$/.exec(record.submittedBy)?.[1];
  const owner = watchId
    ? ((await watches.get(watchId))?.createdBy ?? record.submittedBy)
    : record.submittedBy;
  checkOwner(caller, owner, action, `bisect ${record.id}`);
}
