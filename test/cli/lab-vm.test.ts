import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKbisect } from './kbisect-cli.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kbisect-lab-vm-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

// No VM boots here: these are the answers a user gets before anything is started.
describe('kbisect lab vm', () => {
  it('lists provision, start and stop in its help', async () => {
    const help = await runKbisect(['lab', 'vm', '--help']);
    expect(help.code).toBe(0);
    for (const command of ['provision', 'start', 'stop']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} \\[options\\]`, 'm'));
    }
  }, 180_000);

  it('refuses a provision without a kernel, naming the flag and how to build one', async () => {
    const dir = join(work, 'no-kernel');
    const run = await runKbisect(['lab', 'vm', 'provision', '--dir', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('lab vm provision needs --kernel');
    expect(run.stderr).toContain('kbisect kernel build');
    expect(() => readdirSync(dir)).toThrow();
  }, 180_000);

  it('refuses a kernel that is not there, a bad port, name or accelerator', async () => {
    const dir = join(work, 'bad-input');
    const provision = (...flags: string[]) =>
      runKbisect(['lab', 'vm', 'provision', '--dir', dir, ...flags]);
    const missing = join(work, 'missing-bzImage');
    const aDirectory = join(work, 'bzImage-dir');
    mkdirSync(aDirectory);
    const file = join(work, 'fake-bzImage');
    writeFileSync(file, 'not a kernel');
    const [noFile, notAFile, port, name, accel] = await Promise.all([
      provision('--kernel', missing),
      provision('--kernel', aDirectory),
      provision('--kernel', file, '--port', '70000'),
      provision('--kernel', file, '--name', 'rack 3'),
      provision('--kernel', file, '--accel', 'xen'),
    ]);
    for (const run of [noFile, notAFile, port, name, accel]) expect(run.code).toBe(1);
    expect(noFile.stderr).toContain(`--kernel '${missing}': no such file`);
    expect(notAFile.stderr).toContain(`--kernel '${aDirectory}': no such file`);
    expect(port.stderr).toContain("--port '70000': expected a TCP port, 1 to 65535");
    expect(name.stderr).toContain("--name 'rack 3': letters, digits");
    expect(accel.stderr).toContain("--accel 'xen': expected kvm or tcg");
    expect(() => readdirSync(dir)).toThrow();
  }, 180_000);

  it('says to provision first when start or stop finds no VM in the directory', async () => {
    const dir = join(work, 'empty');
    mkdirSync(dir);
    const runs = await Promise.all(
      ['start', 'stop'].map((command) => runKbisect(['lab', 'vm', command, '--dir', dir])),
    );
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('no lab VM there (no lab.json); run kbisect lab vm provision');
    }
  }, 180_000);
});
