import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../test/support/requirements.js';
import { ModulesInstallFailed } from './errors/index.js';
import { installModules } from './install-modules.js';
import { LabSession } from './lab-session.js';
import { startTestSshd, TEST_SSHD_NEEDS, type TestSshd } from './testing/test-sshd.js';

/**
 * installModules against a real OpenSSH server on loopback, with the lab's modulesRoot in a
 * temporary directory of this machine. Only the modules step runs: nothing here can kexec.
 */
describeNeeding(...TEST_SSHD_NEEDS)('installing kernel modules on a lab', () => {
  let sshd: TestSshd;
  let work: string;
  let root: string;
  let session: LabSession;

  /** A modules archive as packModules makes it: members relative to lib/modules/<release>. */
  const archiveOf = (name: string, files: Record<string, string>) => {
    const tree = join(work, `${name}-tree`);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content);
    }
    const archive = join(work, `${name}.tar.gz`);
    execFileSync('tar', ['-czf', archive, '-C', tree, '.']);
    return archive;
  };
  const installed = (release: string, path: string) =>
    readFileSync(join(root, 'lib/modules', release, path), 'utf8');

  beforeAll(async () => {
    sshd = await startTestSshd('modules-lab');
    work = mkdtempSync(join(tmpdir(), 'kbisect-modules-work-'));
    root = mkdtempSync(join(tmpdir(), 'kbisect-modules-root-'));
    // `env` stands in for `sudo -n`: the unpack goes through the privileged wrapper.
    session = new LabSession({ ...sshd.lab, modulesRoot: root, sudo: 'env' });
  });
  afterAll(async () => {
    session?.disconnect();
    await sshd?.stop();
    await Promise.all([work, root].map((dir) => dir && rm(dir, { recursive: true, force: true })));
  });

  it('unpacks the archive into <modulesRoot>/lib/modules/<release>, tree and contents', async () => {
    const release = '6.1.0-kb-111111111111';
    const archive = archiveOf('first', {
      'kernel/drivers/net/e1000e.ko': 'e1000e of the first\n',
      'kernel/fs/xfs/xfs.ko': 'xfs of the first\n',
      'modules.dep': 'kernel/drivers/net/e1000e.ko:\nkernel/fs/xfs/xfs.ko:\n',
    });

    await installModules(session, archive, release);

    expect(readdirSync(join(root, 'lib/modules'))).toEqual([release]);
    expect(readdirSync(join(root, 'lib/modules', release)).sort()).toEqual([
      'kernel',
      'modules.dep',
    ]);
    expect(installed(release, 'kernel/drivers/net/e1000e.ko')).toBe('e1000e of the first\n');
    expect(installed(release, 'kernel/fs/xfs/xfs.ko')).toBe('xfs of the first\n');
    expect(installed(release, 'modules.dep')).toContain('xfs.ko');
  });

  it('leaves the modules of another release intact, and replaces those of the same release', async () => {
    const first = '6.1.0-kb-111111111111';
    const second = '6.1.0-kb-222222222222';
    await installModules(
      session,
      archiveOf('second', { 'kernel/drivers/net/e1000e.ko': 'e1000e of the second\n' }),
      second,
    );

    expect(readdirSync(join(root, 'lib/modules')).sort()).toEqual([first, second]);
    expect(installed(first, 'kernel/drivers/net/e1000e.ko')).toBe('e1000e of the first\n');
    expect(installed(first, 'kernel/fs/xfs/xfs.ko')).toBe('xfs of the first\n');
    expect(installed(second, 'kernel/drivers/net/e1000e.ko')).toBe('e1000e of the second\n');

    // The same release again (a rebuilt kernel): its old files do not linger.
    await installModules(
      session,
      archiveOf('first-again', { 'kernel/drivers/net/igb.ko': 'igb\n' }),
      first,
    );
    expect(readdirSync(join(root, 'lib/modules', first, 'kernel/drivers/net'))).toEqual(['igb.ko']);
    expect(existsSync(join(root, 'lib/modules', first, 'kernel/fs'))).toBe(false);
    expect(installed(second, 'kernel/drivers/net/e1000e.ko')).toBe('e1000e of the second\n');
  });

  it('says a corrupt archive does not unpack, and leaves the installed modules as they were', async () => {
    const second = '6.1.0-kb-222222222222';
    const corrupt = join(work, 'corrupt.tar.gz');
    writeFileSync(corrupt, 'this is not a gzip file\n'.repeat(50));

    const error = await installModules(session, corrupt, second).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModulesInstallFailed);
    expect((error as Error).message).toMatch(
      /lab modules-lab: installing the modules of 6\.1\.0-kb-222222222222 failed: .*gzip/,
    );
    expect(installed(second, 'kernel/drivers/net/e1000e.ko')).toBe('e1000e of the second\n');
    // No half-unpacked directory and no uploaded archive left behind.
    expect(readdirSync(join(root, 'lib/modules')).sort()).toEqual([
      '6.1.0-kb-111111111111',
      second,
    ]);
    expect(existsSync(`/tmp/kbisect/modules-${second}.tar.gz`)).toBe(false);
  });

  it('refuses a release that is not a plain directory name, before uploading', async () => {
    const archive = archiveOf('escape', { 'x.ko': 'x\n' });
    const error = await installModules(session, archive, '../../etc').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModulesInstallFailed);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('never sent anything naming kexec to the lab', () => {
    expect(existsSync(sshd.kexecAttempts)).toBe(false);
  });
});
