import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKbisect, useLoopbackProject } from './kbisect-cli.js';

const fixture = useLoopbackProject('kbisect-cli-errors-');

const base = () => [
  'run',
  '--cache-dir',
  join(fixture.work, 'cache'),
  '--json',
  '--oracle',
  'command:true',
];

describe('kbisect run refuses bad input with a clear message and a non-zero exit', () => {
  it('names an unknown ref', async () => {
    const r = await runKbisect([
      ...base(),
      '--repo',
      fixture.project.dir,
      '--good',
      'v1.0',
      '--bad',
      'no-such-branch',
    ]);
    expect(r.code).toBe(1);
    expect(r.json?.status).toBe('error');
    expect(String(r.json?.error)).toContain('no-such-branch');
  });

  it('says when the good commit is not an ancestor of the bad one', async () => {
    const r = await runKbisect([
      ...base(),
      '--repo',
      fixture.project.dir,
      '--good',
      'main',
      '--bad',
      'v1.0',
    ]);
    expect(r.code).toBe(1);
    expect(String(r.json?.error)).toMatch(/ancestor/);
  });

  it('refuses good == bad', async () => {
    const r = await runKbisect([
      ...base(),
      '--repo',
      fixture.project.dir,
      '--good',
      'main',
      '--bad',
      'main',
    ]);
    expect(r.code).toBe(1);
    expect(String(r.json?.error)).toMatch(/same commit/i);
  });

  it('says when the repository does not exist', async () => {
    const missing = join(fixture.work, 'nowhere');
    const r = await runKbisect([...base(), '--repo', missing, '--good', 'v1.0', '--bad', 'main']);
    expect(r.code).toBe(1);
    expect(String(r.json?.error)).toContain(missing);
  });

  it('stops before bisecting when the build command is not installed', async () => {
    const r = await runKbisect([
      ...base(),
      '--repo',
      fixture.project.dir,
      '--good',
      'v1.0',
      '--bad',
      'main',
      '--build',
      'kbisect-no-such-compiler -j2',
    ]);
    expect(r.code).toBe(1);
    expect(String(r.json?.error)).toContain("'kbisect-no-such-compiler' was not found");
    expect(r.stderr).not.toMatch(/testing /);
  });

  it('rejects an unknown oracle kind and names the accepted forms', async () => {
    const r = await runKbisect([
      'run',
      '--repo',
      fixture.project.dir,
      '--good',
      'v1.0',
      '--bad',
      'main',
      '--oracle',
      'magic:foo',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown oracle kind 'magic'");
  });

  it('treats a ref that looks like an option as an unknown ref, not an option', async () => {
    const r = await runKbisect([
      ...base(),
      '--repo',
      fixture.project.dir,
      '--good',
      'v1.0',
      '--bad=--output=/tmp/x',
    ]);
    expect(r.code).toBe(1);
    expect(String(r.json?.error)).toContain('--output=/tmp/x');
  });

  it('refuses --boot-failure: kbisect run boots no kernel', async () => {
    const r = await runKbisect([
      ...base(),
      '--repo',
      fixture.project.dir,
      '--good',
      'v1.0',
      '--bad',
      'main',
      '--boot-failure',
      'bad',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--boot-failure applies to a bisect on a lab');
    expect(String(r.json?.error)).toContain('kbisect start --lab');
  });
});
