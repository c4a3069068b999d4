import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importProbed, REPO_ROOT, runProbed } from '../support/loaded-packages.js';

/**
 * The seams docs/ARCHITECTURE.md promises between packages, checked on what a process really
 * loads: the contracts travel without the Redis side, the API without SSH, `kbisect run`
 * without the service.
 */

const SERVICE_SIDE = ['bullmq', 'ioredis'];
const SSH = ['node-ssh', 'ssh2'];

const loadedOf = (packages: Set<string>, names: readonly string[]) =>
  names.filter((name) => packages.has(name));

/** The workspace packages `name` depends on, itself included, by their package.json. */
function workspaceClosure(name: string): Map<string, Record<string, string>> {
  const dirs = new Map<string, string>();
  for (const group of ['packages', 'apps']) {
    for (const dir of execFileSync('ls', [join(REPO_ROOT, group)], { encoding: 'utf8' }).split(
      '\n',
    )) {
      if (!dir) continue;
      const manifest = JSON.parse(
        readFileSync(join(REPO_ROOT, group, dir, 'package.json'), 'utf8'),
      );
      dirs.set(manifest.name, join(REPO_ROOT, group, dir));
    }
  }
  const closure = new Map<string, Record<string, string>>();
  const visit = (pkg: string) => {
    const dir = dirs.get(pkg);
    if (!dir || closure.has(pkg)) return;
    const deps = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {};
    closure.set(pkg, deps);
    for (const dep of Object.keys(deps)) visit(dep);
  };
  visit(name);
  return closure;
}

describe('the probe sees what a process loads', () => {
  it('finds BullMQ and ioredis in @kbisect/queue and node-ssh in @kbisect/lab', () => {
    const queue = importProbed('@kbisect/queue');
    expect(queue.status, queue.stderr).toBe(0);
    expect(loadedOf(queue.packages, SERVICE_SIDE)).toEqual(SERVICE_SIDE);
    const lab = importProbed('@kbisect/lab');
    expect(lab.status, lab.stderr).toBe(0);
    expect(loadedOf(lab.packages, SSH)).toEqual(SSH);
  });
});

describe('package seams', () => {
  it('@kbisect/contracts and every workspace package it depends on declare no BullMQ, Redis or SSH dependency', () => {
    const closure = workspaceClosure('@kbisect/contracts');
    expect([...closure.keys()]).toContain('@kbisect/contracts');
    for (const [pkg, deps] of closure) {
      expect(loadedOf(new Set(Object.keys(deps)), [...SERVICE_SIDE, 'node-ssh']), pkg).toEqual([]);
    }
  });

  it('importing @kbisect/contracts loads no BullMQ, Redis client or SSH', () => {
    const run = importProbed('@kbisect/contracts');
    expect(run.status, run.stderr).toBe(0);
    expect(loadedOf(run.packages, [...SERVICE_SIDE, ...SSH])).toEqual([]);
  });

  it('importing @kbisect/config loads no BullMQ, Redis client or SSH (labs come from @kbisect/lab/config)', () => {
    const run = importProbed('@kbisect/config', '@kbisect/lab/config');
    expect(run.status, run.stderr).toBe(0);
    expect(loadedOf(run.packages, [...SERVICE_SIDE, ...SSH])).toEqual([]);
  });

  it('the API loads no SSH code', () => {
    const run = importProbed('@kbisect/api');
    expect(run.status, run.stderr).toBe(0);
    expect(run.packages.has('fastify')).toBe(true);
    expect(loadedOf(run.packages, SSH)).toEqual([]);
  });
});

describe('kbisect run', () => {
  const work = mkdtempSync(join(tmpdir(), 'kbisect-seams-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('bisects a repository without loading BullMQ, a Redis client, SSH or the API', () => {
    const repo = join(work, 'repo');
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    git('config', 'user.email', 'seams@example.org');
    git('config', 'user.name', 'seams');
    const shas: string[] = [];
    for (const [i, state] of ['good', 'good', 'good', 'slow', 'slow'].entries()) {
      writeFileSync(join(repo, 'state'), `${state}\n`);
      git('add', 'state');
      git('commit', '-q', '--allow-empty', '-m', `commit ${i}: ${state}`);
      shas.push(git('rev-parse', 'HEAD'));
    }
    const run = runProbed([
      'apps/cli/bin/kbisect.js',
      'run',
      '--repo',
      repo,
      '--good',
      shas[0] as string,
      '--bad',
      'main',
      '--build',
      'true',
      '--oracle',
      'command:grep -qx good state',
      '--cache-dir',
      join(work, 'cache'),
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`"culprit":"${shas[3]}"`);
    expect(loadedOf(run.packages, [...SERVICE_SIDE, ...SSH, 'fastify'])).toEqual([]);
  });
});
