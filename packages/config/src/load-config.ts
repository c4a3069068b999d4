import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { mailConfigProblems } from '@kbisect/notify/config';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigInvalid } from './errors/config-invalid.js';
import { ServiceConfig } from './service-config.js';

/** Environment variables that override the file, and the field each one sets. */
export const ENV_OVERRIDES: Readonly<Record<string, string>> = {
  REDIS_URL: 'redis.url',
  KBISECT_REDIS_PREFIX: 'redis.prefix',
  HOST: 'api.host',
  PORT: 'api.port',
  KBISECT_PUBLIC_URL: 'api.publicUrl',
  KBISECT_TOKENS: 'auth.tokens',
  KBISECT_CACHE_DIR: 'cacheDir',
  KBISECT_LOCK_DURATION_MS: 'worker.lockDurationMs',
  KBISECT_STALLED_INTERVAL_MS: 'worker.stalledIntervalMs',
  KBISECT_WORKER_HEARTBEAT: 'worker.heartbeatFile',
  KBISECT_WEBHOOK_SECRET: 'webhooks.secret',
  KBISECT_ARTIFACT_MAX_BYTES: 'artifacts.maxBytes',
  LOG_LEVEL: 'log.level',
};

const NUMERIC = new Set([
  'api.port',
  'worker.lockDurationMs',
  'worker.stalledIntervalMs',
  'artifacts.maxBytes',
]);

export interface LoadConfigOptions {
  /** A YAML or JSON file; `KBISECT_CONFIG` names one when this is absent. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line flags, by field path (`api.port`), applied last. */
  overrides?: Record<string, unknown>;
}

/**
 * Reads, merges and validates the configuration. Every problem is reported at once, with the
 * field path and where the value came from, so a broken deployment fails at start, not at
 * the first bisect.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ServiceConfig> {
  const env = options.env ?? process.env;
  const file = options.file ?? env.KBISECT_CONFIG;
  const origin = new Map<string, string>();
  let raw: Record<string, unknown> = {};
  if (file) {
    raw = await readConfigFile(file);
    for (const path of leafPaths(raw)) origin.set(path, `file ${file}`);
  }
  for (const [variable, path] of Object.entries(ENV_OVERRIDES)) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    const value =
      path === 'auth.tokens'
        ? mergeEnvTokens(getPath(raw, path), text)
        : NUMERIC.has(path)
          ? numberOrText(text)
          : text;
    setPath(raw, path, value);
    origin.set(path, `environment ${variable}`);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    setPath(raw, path, value);
    origin.set(path, 'command line');
  }

  const config = Value.Default(ServiceConfig, Value.Clone(raw)) as unknown;
  const problems = [...Value.Errors(ServiceConfig, config)]
    .filter((e) => e.keyword !== 'anyOf' || !e.instancePath.startsWith('/auth/tokens'))
    .map((e) => {
      const path = e.instancePath.slice(1).replaceAll('/', '.') || '(top level)';
      const from = origin.get(path) ?? [...origin].find(([p]) => path.startsWith(`${p}.`))?.[1];
      const extra =
        e.keyword === 'additionalProperties'
          ? `: ${(e.params as { additionalProperties?: string[] }).additionalProperties?.join(', ')}`
          : '';
      return `${path}: ${e.message}${extra}${from ? ` (from ${from})` : ''}`;
    });
  // What the schema cannot say about the mail section (smtp or mbox; one password source).
  const { mail } = config as Partial<ServiceConfig>;
  if (problems.length === 0 && mail) problems.push(...mailConfigProblems(mail));
  if (problems.length > 0)
    throw new ConfigInvalid(file ?? 'defaults and environment', unique(problems));
  return config as ServiceConfig;
}

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(resolve(file), 'utf8');
  } catch (error) {
    throw new ConfigInvalid(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigInvalid(file, [`not valid YAML or JSON: ${(error as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigInvalid(file, ['the top level must be a mapping of sections (redis, api...)']);
  }
  return parsed as Record<string, unknown>;
}

/**
 * `KBISECT_TOKENS=tok1,tok2` or `ci=tok1,alice=tok2`: write tokens added to the file's. A
 * nameless token is named by its position, so logs can still tell them apart.
 */
function mergeEnvTokens(fromFile: unknown, text: string): unknown[] {
  const existing = Array.isArray(fromFile) ? fromFile : [];
  const added = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part, i) => {
      const eq = part.indexOf('=');
      return eq > 0
        ? { name: part.slice(0, eq), token: part.slice(eq + 1), write: true, admin: true }
        : { name: `env-${i + 1}`, token: part, write: true, admin: true };
    });
  return [...existing, ...added];
}

function numberOrText(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

function getPath(target: Record<string, unknown>, path: string): unknown {
  let node: unknown = target;
  for (const part of path.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!next || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) as string] = value;
}

function leafPaths(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return prefix ? [prefix] : [];
  return Object.entries(value).flatMap(([key, v]) =>
    leafPaths(v, prefix ? `${prefix}.${key}` : key),
  );
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
