import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BWRAP, describeNeeding, skipOnHost } from '../../../test/support/requirements.js';
import { findBwrap, probeBwrap } from './bwrap.js';
import { NetworkNotAllowed } from './errors/network-not-allowed.js';
import { SandboxUnavailable } from './errors/sandbox-unavailable.js';
import { Sandbox } from './sandbox.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-sandbox-'));
  // runAs tests: nobody must be able to enter the test's directories.
  chmodSync(work, 0o755);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let dirs = 0;
/** A fresh worktree-like directory and a state directory for one test. */
function place() {
  const root = join(work, `t${++dirs}`);
  const worktree = join(root, 'cache', 'worktrees', 'wt');
  mkdirSync(worktree, { recursive: true });
  return { root, worktree, state: join(root, 'state'), cache: join(root, 'cache') };
}

const run = (sandbox: Sandbox, script: string, cwd: string, network = false) =>
  sandbox.output(['sh', '-c', script], { cwd, env: { KBISECT_COMMIT: 'abc123' }, network }, 20_000);

describe('the clean environment', () => {
  it('gives a command PATH, HOME, locale and the spec variables, and none of the service variables', async () => {
    const { worktree, state } = place();
    process.env.KBISECT_TOKENS = 'ci=secret-token-value';
    process.env.REDIS_URL = 'redis://secret@127.0.0.1:6379';
    try {
      const sandbox = await Sandbox.create({
        config: { mode: 'none', allowNetwork: true },
        stateDir: state,
      });
      const { stdout } = await run(sandbox, 'env', worktree);
      const vars = Object.fromEntries(
        stdout
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      expect(vars).toMatchObject({
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: join(state, 'home'),
        LANG: 'C.UTF-8',
        TERM: 'dumb',
        KBISECT_COMMIT: 'abc123',
      });
      expect(stdout).not.toContain('secret');
      expect(Object.keys(vars).filter((name) => name.startsWith('KBISECT_'))).toEqual([
        'KBISECT_COMMIT',
      ]);
    } finally {
      delete process.env.KBISECT_TOKENS;
      delete process.env.REDIS_URL;
    }
  });

  it('refuses a command that asks for network when the config forbids it', async () => {
    const { worktree, state } = place();
    const sandbox = await Sandbox.create({
      config: { mode: 'none', allowNetwork: false },
      stateDir: state,
    });
    await expect(run(sandbox, 'true', worktree, true)).rejects.toBeInstanceOf(NetworkNotAllowed);
  });
});

describe('runAs', () => {
  it('runs the command as that user, in a worktree given to it', async (context) => {
    skipOnHost(context, process.getuid?.() === 0 ? undefined : 'switching users needs root');
    const { worktree, state } = place();
    const sandbox = await Sandbox.create({
      config: { mode: 'none', runAs: 'nobody', allowNetwork: true },
      stateDir: state,
    });
    const { stdout, exitCode } = await run(sandbox, 'id -u; id -g; touch built.o', worktree);
    expect(exitCode).toBe(0);
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
    expect(stdout.split('\n')[0]).toBe(nobody);
    expect(statSync(join(worktree, 'built.o')).uid).toBe(Number(nobody));
  });

  it('names the field and the fix for a user that does not exist', async () => {
    const { state } = place();
    const created = Sandbox.create({
      config: { mode: 'none', runAs: 'kbisect-no-such-user', allowNetwork: true },
      stateDir: state,
    });
    await expect(created).rejects.toBeInstanceOf(SandboxUnavailable);
    await expect(created).rejects.toThrow(/sandbox\.runAs: no user 'kbisect-no-such-user'/);
  });
});

describeNeeding(BWRAP)('bwrap', () => {
  // Installed but unusable (no user namespaces for this user) depends on the host kernel.
  let problem: string | undefined;
  beforeAll(async () => {
    const bwrap = await findBwrap();
    problem = bwrap ? await probeBwrap(bwrap) : 'bwrap is not installed';
  });

  let server: Server;
  let port: number;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((socket) => {
      connections += 1;
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const bwrapSandbox = (state: string, hidden: string[], runAs?: string) =>
    Sandbox.create({
      config: { mode: 'bwrap', allowNetwork: true, ...(runAs ? { runAs } : {}) },
      stateDir: state,
      hidden,
    });

  it('lets a command write its worktree and nothing else, and hides the service files', async (context) => {
    skipOnHost(context, problem);
    const { worktree, state, cache, root } = place();
    const config = join(root, 'kbisect.yaml');
    writeFileSync(config, 'auth: {tokens: [{name: ops, token: config-secret-token}]}\n');
    const outside = join(root, 'outside');
    mkdirSync(outside);
    const varTmp = `/var/tmp/kbisect-sandbox-test-${process.pid}-${dirs}`;
    const sandbox = await bwrapSandbox(state, [config, cache]);
    try {
      const { stdout, stderr } = await run(
        sandbox,
        [
          'touch built.o',
          `touch ${outside}/escaped`,
          `touch ${varTmp}`,
          `cat ${config}`,
          `ls ${join(cache, 'worktrees')}`,
          `cat /proc/${process.pid}/environ`,
          'echo done',
        ].join('; '),
        worktree,
      );
      expect(stdout).toContain('done');
      expect(existsSync(join(worktree, 'built.o'))).toBe(true);
      expect(existsSync(join(outside, 'escaped'))).toBe(false);
      expect(existsSync(varTmp)).toBe(false);
      expect(stderr).toMatch(/Read-only file system/);
      // The config is /dev/null inside; the cache shows only this command's own worktree.
      expect(stdout + stderr).not.toContain('config-secret-token');
      expect(stdout.trim().split('\n')).toContain('wt');
      // Its own pid namespace: the test process (the "worker") is not there to read.
      expect(stderr).toMatch(new RegExp(`/proc/${process.pid}/environ`));
    } finally {
      rmSync(varTmp, { force: true });
    }
  });

  it('has no network unless the spec asks, and then reaches a port on 127.0.0.1', async (context) => {
    skipOnHost(context, problem);
    const { worktree, state } = place();
    const sandbox = await bwrapSandbox(state, []);
    const connect = [
      process.execPath,
      '-e',
      `require('net').connect(${port}, '127.0.0.1')` +
        `.on('connect', () => process.exit(0)).on('error', (e) => { console.log(e.code); process.exit(3); })`,
    ];
    const before = connections;
    const offline = await sandbox.output(connect, { cwd: worktree }, 20_000);
    expect(offline.exitCode).toBe(3);
    expect(connections).toBe(before);
    const online = await sandbox.output(connect, { cwd: worktree, network: true }, 20_000);
    expect(online.exitCode).toBe(0);
    await expect.poll(() => connections).toBe(before + 1);
  });

  it('runs as the runAs user inside bwrap', async (context) => {
    skipOnHost(context, problem);
    skipOnHost(context, process.getuid?.() === 0 ? undefined : 'switching users needs root');
    const { worktree, state } = place();
    const sandbox = await bwrapSandbox(state, [], 'nobody');
    const { stdout, exitCode } = await run(sandbox, 'id -u; touch built.o', worktree);
    expect(exitCode).toBe(0);
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
    expect(stdout.trim()).toBe(nobody);
    expect(statSync(join(worktree, 'built.o')).uid).toBe(Number(nobody));
  });
});
