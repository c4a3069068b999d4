import type { Command } from 'commander';
import { UsageError } from '../usage-error.js';
import { ApiClient } from './client/api-client.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** The options every client command has: where the API is, and the token to show it. */
export interface ClientFlags {
  server?: string;
  token?: string;
  json?: boolean;
}

export function addClientOptions(command: Command): Command {
  return command
    .option('--server <url>', `the kbisect API (default: KBISECT_SERVER or ${DEFAULT_SERVER})`)
    .option('--token <token>', 'API token for writes (default: KBISECT_TOKEN)')
    .option('--json', 'machine-readable output on stdout');
}

export function clientFrom(flags: ClientFlags): ApiClient {
  const server = flags.server ?? process.env.KBISECT_SERVER ?? DEFAULT_SERVER;
  if (!/^https?:\/\//.test(server)) {
    throw new UsageError(`--server '${server}': expected an http:// or https:// URL`);
  }
  const token = flags.token ?? process.env.KBISECT_TOKEN;
  return new ApiClient({ server, ...(token ? { token } : {}) });
}

/** `--label key=value`, repeatable. */
export function collectLabel(value: string, previous: Record<string, string> = {}) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--label '${value}': expected key=value`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}
