import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../test/support/requirements.js';
import { deployKernel } from './deploy.js';
import {
  HostKeyMismatch,
  LabAuthFailed,
  LabIsThisMachine,
  LabUnreachable,
} from './errors/index.js';
import { LabSession } from './lab-session.js';
import { connectLab } from './ssh-connection.js';
import { freePort, startTestSshd, TEST_SSHD_NEEDS, type TestSshd } from './testing/test-sshd.js';

describeNeeding(...TEST_SSHD_NEEDS)('connecting to a lab', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startTestSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('accepts the pinned host key', async () => {
    const ssh = await connectLab(sshd.lab);
    expect((await ssh.execCommand('echo ok')).stdout).toBe('ok');
    ssh.dispose();
  });

  it('survives an idle session the lab resets, and connects again on the next use', async () => {
    const session = new LabSession(sshd.lab);
    try {
      const idle = await session.ssh();
      // What ssh2 emits when a lab is power-cycled under an idle session: without a listener
      // this throws, as it would crash a worker holding a session to a lab another one reboots.
      expect(() => idle.connection?.emit('error', new Error('read ECONNRESET'))).not.toThrow();
      expect(await session.check('echo again')).toBe('again');
    } finally {
      session.disconnect();
    }
  });

  it('refuses a host key other than the pinned one, naming both fingerprints', async () => {
    const pinned = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const error = await connectLab({ ...sshd.lab, hostKeyFingerprint: pinned }).catch((e) => e);

    expect(error).toBeInstanceOf(HostKeyMismatch);
    expect(error.expected).toBe(pinned);
    expect(error.actual).toBe(sshd.hostKeyFingerprint);
  });

  it('says the lab is unreachable when nothing listens on its port', async () => {
    const port = await freePort();
    const error = await connectLab({ ...sshd.lab, port }, { readyTimeoutMs: 3000 }).catch((e) => e);

    expect(error).toBeInstanceOf(LabUnreachable);
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('says the login was refused when the key is not authorized', async () => {
    const wrongKey = join(sshd.dir, 'host_ed25519');
    const error = await connectLab({ ...sshd.lab, privateKeyPath: wrongKey }).catch((e) => e);

    expect(error).toBeInstanceOf(LabAuthFailed);
  });

  it('refuses to deploy to a lab that is this machine, before any kexec is sent', async () => {
    const kernel = join(sshd.dir, 'bzImage');
    writeFileSync(kernel, 'not a kernel');
    const session = new LabSession(sshd.lab);

    const error = await deployKernel(session, {
      image: kernel,
      release: '6.1.0-kb-000000000000',
    }).catch((e) => e);
    session.disconnect();

    expect(error).toBeInstanceOf(LabIsThisMachine);
    expect(existsSync(sshd.kexecAttempts)).toBe(false);
  });
});
