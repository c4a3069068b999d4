/**
 * The environment for git processes spawned outside simple-git (signal handlers, test
 * repos). Inherited GIT_* variables are dropped for the reason simple-git drops them: a
 * GIT_DIR or GIT_WORK_TREE leaking in from a hook or a shell would point git at the wrong
 * repository.
 */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toUpperCase().startsWith('GIT_')) env[key] = value;
  }
  return { ...env, ...extra };
}
