import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RepositoryRefused } from './errors/repository-refused.js';

/** Which repositories may be opened: patterns of paths and URLs, and the transports allowed. */
export interface SourcePolicy {
  /** `*` matches within one path segment, `**` across segments: `/srv/git/**`, `https://git.kernel.org/**`. */
  allow: readonly string[];
  /** git transport names as GIT_ALLOW_PROTOCOL takes them: file, https, http, ssh, git. */
  protocols: readonly string[];
}

/** Transports that run a program or read a file descriptor of the process: never allowed. */
const NEVER = new Set(['ext', 'fd']);

/**
 * The git transport a source would use, decided the way git decides it: `helper::address`
 * is a remote helper (`ext::`, `fd::`), `scheme://` a URL, a colon before any slash the scp
 * form of ssh (`host:path`), anything else a local path.
 */
export function transportOf(source: string): string {
  const helper = /^([A-Za-z0-9][A-Za-z0-9+.-]*)::/.exec(source);
  if (helper) return (helper[1] as string).toLowerCase();
  const url = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source);
  if (url) {
    const scheme = (url[1] as string).toLowerCase();
    return scheme === 'git+ssh' || scheme === 'ssh+git' ? 'ssh' : scheme;
  }
  if (!source.startsWith('-') && /^[^/]+:/.test(source)) return 'ssh';
  return 'file';
}

/**
 * Refuses `source` unless the policy allows both its transport and the source itself, with
 * `RepositoryRefused` naming the rule. Pure string work plus a `realpath` of a local path (so
 * a symlink cannot lead out of an allowed tree): nothing connects and no process starts.
 */
export async function checkSource(source: string, policy: SourcePolicy): Promise<void> {
  const transport = transportOf(source);
  if (NEVER.has(transport)) {
    throw new RepositoryRefused(
      source,
      'the transport rules',
      `the "${transport}::" transport runs a program or uses a file descriptor of the service, and is never allowed`,
    );
  }
  if (/^[A-Za-z0-9][A-Za-z0-9+.-]*::/.test(source)) {
    throw new RepositoryRefused(
      source,
      'the transport rules',
      `remote helpers ("${transport}::…") are not allowed; give a URL or an absolute path`,
    );
  }
  if (!policy.protocols.includes(transport)) {
    throw new RepositoryRefused(
      source,
      'repositories.protocols',
      `transport "${transport}" is not one of ${policy.protocols.join(', ') || '(none)'}`,
    );
  }
  const location = transport === 'file' ? await localLocation(source) : source.replace(/\/+$/, '');
  if (!policy.allow.some((pattern) => matchesPattern(pattern, location))) {
    throw new RepositoryRefused(
      source,
      'repositories.allow',
      `${location} matches none of ${policy.allow.map((p) => JSON.stringify(p)).join(', ') || '(no patterns)'}`,
    );
  }
}

/** A local path as patterns see it: absolute, `..` resolved, symlinks followed if it exists. */
async function localLocation(source: string): Promise<string> {
  const path = source.startsWith('file://') ? decodeURIComponent(source.slice(7)) : source;
  const absolute = resolve(path);
  return realpath(absolute).catch(() => absolute);
}

/** Glob matching for repository patterns: `**` any characters, `*` and `?` within a segment. */
export function matchesPattern(pattern: string, text: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      regex += '.*';
      i++;
    } else if (c === '*') regex += '[^/]*';
    else if (c === '?') regex += '[^/]';
    else regex += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`).test(text.replace(/\/+$/, ''));
}
