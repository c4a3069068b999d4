/** The PATH every command gets, whatever the worker's own PATH is. */
export const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The whole environment of a command a bisect brings: a fixed PATH, a scratch HOME, a
 * locale, and what the spec itself sets. Nothing of the worker's environment is inherited:
 * the service's variables hold its tokens, its Redis URL and the path of its config.
 */
export function cleanEnvironment(
  home: string,
  specVars: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    PATH: SAFE_PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TERM: 'dumb',
    ...specVars,
  };
}
