const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Everything past `resolveRef` takes full object names only, so a user's string never
 * reaches a git command where it could be read as an option or a revision expression.
 */
export function assertSha(value: string, what: string): string {
  if (!FULL_SHA.test(value)) {
    throw new TypeError(
      `${what} must be a full commit sha (use resolveRef first), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
