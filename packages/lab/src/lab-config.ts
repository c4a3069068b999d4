import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { LabConfigInvalid } from './errors/lab-config-invalid.js';

/** One lab machine, as an operator describes it (docs/labs.md). */
export interface LabConfig {
  name: string;
  host: string;
  port: number;
  user: string;
  /** The worker's private key; absent to use the SSH agent ($SSH_AUTH_SOCK). */
  privateKeyPath?: string;
  /** OpenSSH fingerprint of the lab's host key (`SHA256:...`), pinned: nothing else is accepted. */
  hostKeyFingerprint: string;
  pool: string;
  arch: string;
  /** The kernel command line of every kexec; default: the lab's /proc/cmdline when first seen. */
  cmdline?: string;
  /** An initrd (on the worker host) uploaded with every kernel. */
  initrd?: string;
  bootTimeoutSeconds: number;
  /** Run on the worker host (argv) to power-cycle the lab back to its default kernel. */
  powerCycleCommand?: string[];
  /** Run on the worker host (argv); prints the end of the lab's console log. */
  consoleLogCommand?: string[];
  /** Commands on the lab are prefixed with this (e.g. `sudo -n`) when the user is not root. */
  sudo?: string;
  /**
   * Kernel modules are unpacked into `<modulesRoot>/lib/modules/<release>` before each kexec;
   * default `/`. Tests point it at a temporary directory.
   */
  modulesRoot?: string;
  /**
   * Where command and metric oracles run on the lab and their files are written; default
   * DEFAULT_LAB_WORK_DIR. Under /tmp on purpose: an initramfs lab loses it on every kexec,
   * and the files are written again before each sample.
   */
  workDir?: string;
  /**
   * The lab runs on the cores that build the kernels (a VM on the build host): builds ahead
   * would slow what a measuring oracle measures there, so a bisect measuring on it builds
   * nothing ahead. Default: whether `host` is loopback.
   */
  sharesBuildHost: boolean;
}

export const DEFAULT_LAB_WORK_DIR = '/tmp/kbisect/work';

/** The same rule as QUEUE_NAME_PART of @kbisect/contracts (lab does not depend on it). */
const QUEUE_SAFE = /^[A-Za-z0-9_.-]{1,128}$/;
const SAFE_RULE = 'letters, digits, dot, dash, underscore only (at most 128)';

function fail(field: string, reason: string): never {
  throw new LabConfigInvalid(field, reason);
}

const string = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || value.trim() === '') fail(field, 'must be a non-empty string');
  return value;
};
const optionalString = (value: unknown, field: string) =>
  value === undefined ? undefined : string(value, field);
const argv = (value: unknown, field: string): string[] | undefined => {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((word) => typeof word === 'string')
  ) {
    fail(field, 'must be a non-empty array of strings (argv, not a shell line)');
  }
  return value as string[];
};

const absolutePath = (value: unknown, field: string): string | undefined => {
  const path = optionalString(value, field);
  if (path !== undefined && !path.startsWith('/'))
    fail(field, 'must be an absolute path on the lab');
  return path;
};

/** Checks a parsed lab config, field by field, and fills the defaults. */
export function parseLabConfig(input: unknown): LabConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    fail('(root)', 'must be an object');
  const raw = input as Record<string, unknown>;
  const name = string(raw.name, 'name');
  // Names and pools are parts of queue and Redis key names (lab-test.lab.<name>, lab-test.pool.<pool>).
  if (!QUEUE_SAFE.test(name)) fail('name', SAFE_RULE);
  const pool = string(raw.pool ?? 'default', 'pool');
  if (!QUEUE_SAFE.test(pool)) fail('pool', SAFE_RULE);
  const port = raw.port ?? 22;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    fail('port', 'must be 1..65535');
  const fingerprint = string(raw.hostKeyFingerprint, 'hostKeyFingerprint');
  if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(fingerprint)) {
    fail('hostKeyFingerprint', 'must be an OpenSSH SHA256 fingerprint (ssh-keygen -lf key.pub)');
  }
  const bootTimeout = raw.bootTimeoutSeconds ?? 120;
  if (typeof bootTimeout !== 'number' || !(bootTimeout > 0))
    fail('bootTimeoutSeconds', 'must be a positive number');
  const host = string(raw.host, 'host');
  const sharesBuildHost = raw.sharesBuildHost ?? isLoopback(host);
  if (typeof sharesBuildHost !== 'boolean') fail('sharesBuildHost', 'must be true or false');
  const config: LabConfig = {
    name,
    host,
    port,
    user: string(raw.user ?? 'root', 'user'),
    hostKeyFingerprint: fingerprint,
    pool,
    arch: string(raw.arch ?? 'x86_64', 'arch'),
    bootTimeoutSeconds: bootTimeout,
    workDir: absolutePath(raw.workDir, 'workDir') ?? DEFAULT_LAB_WORK_DIR,
    sharesBuildHost,
  };
  const optional = {
    privateKeyPath: optionalString(raw.privateKeyPath, 'privateKeyPath'),
    cmdline: optionalString(raw.cmdline, 'cmdline'),
    initrd: optionalString(raw.initrd, 'initrd'),
    sudo: optionalString(raw.sudo, 'sudo'),
    modulesRoot: absolutePath(raw.modulesRoot, 'modulesRoot'),
    powerCycleCommand: argv(raw.powerCycleCommand, 'powerCycleCommand'),
    consoleLogCommand: argv(raw.consoleLogCommand, 'consoleLogCommand'),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(config, { [key]: value });
  }
  return config;
}

/**
 * Whether an SSH host is this machine: `localhost`, 127.0.0.0/8 or ::1 (a VM whose SSH port
 * is forwarded to loopback, as `kbisect lab vm` makes it).
 */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1' || name === '0:0:0:0:0:0:0:1' || name.startsWith('::ffff:127.');
}

export async function loadLabConfig(path: string): Promise<LabConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new LabConfigInvalid(path, (error as Error).message);
  }
  return parseLabConfig(parsed);
}
