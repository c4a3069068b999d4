import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '@kbisect/config';

/** Who is calling, as far as the API cares: a name for logs and what the token may do. */
export interface Caller {
  name: string;
  write: boolean;
  admin: boolean;
  /** The token's policy (auth.tokens[].repos, labs, pools, commands); see auth/policy.ts. */
  policy: TokenPolicy;
  /** auth.metricsToken: a scraper that may read /metrics and nothing else. */
  metricsOnly?: boolean;
}

export interface TokenPolicy {
  repos?: readonly string[];
  labs?: readonly string[];
  pools?: readonly string[];
  commands: 'any' | 'recipes';
}

export type Scope = 'metrics' | 'read' | 'write' | 'admin';

export const allows = (caller: Caller, scope: Scope): boolean => {
  if (scope === 'metrics') return true;
  if (caller.metricsOnly) return false;
  return scope === 'read' || (scope === 'write' ? caller.write : caller.admin);
};

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The configured tokens, compared in constant time (hashes of equal length), so a caller
 * cannot learn a token byte by byte from response times.
 */
export class TokenTable {
  readonly #entries: { digest: Buffer; caller: Caller }[];

  constructor(tokens: readonly ApiToken[], metricsToken?: string) {
    this.#entries = tokens.map((t) => ({
      digest: digest(t.token),
      caller: {
        name: t.name,
        write: t.write ?? true,
        admin: t.admin ?? false,
        policy: {
          ...(t.repos ? { repos: t.repos } : {}),
          ...(t.labs ? { labs: t.labs } : {}),
          ...(t.pools ? { pools: t.pools } : {}),
          commands: t.commands ?? 'any',
        },
      },
    }));
    if (metricsToken !== undefined) {
      this.#entries.push({
        digest: digest(metricsToken),
        caller: {
          name: 'metrics',
          write: false,
          admin: false,
          policy: { commands: 'recipes' },
          metricsOnly: true,
        },
      });
    }
  }

  get size(): number {
    return this.#entries.length;
  }

  find(token: string): Caller | undefined {
    const presented = digest(token);
    let found: Caller | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.caller;
    }
    return found;
  }
}

/**
 * The token of an Authorization header: `Bearer <token>` for CI and the CLI, or Basic with
 * the token as the password, which is what a browser can send to the queue dashboard.
 */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer') return value || undefined;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1) || undefined;
  }
  return undefined;
}
