import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../../test/support/requirements.js';
import { LabDown } from './errors/index.js';
import { LabSession } from './lab-session.js';
import { checkLabAfterUncleanHolder } from './recover.js';
import { freePort, startTestSshd, TEST_SSHD_NEEDS, type TestSshd } from './testing/test-sshd.js';

/**
 * The check a worker makes before using a lab whose previous holder crashed, against a real
 * sshd on loopback. The power-cycle command here only leaves a mark: nothing is restarted.
 */
describeNeeding(...TEST_SSHD_NEEDS)('a lab left behind by a crashed holder', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startTestSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('is used as it is when it answers SSH, without a power cycle', async () => {
    const mark = join(sshd.dir, 'power-cycled-1');
    const session = new LabSession({ ...sshd.lab, powerCycleCommand: ['touch', mark] });
    const checked = await checkLabAfterUncleanHolder(session);
    session.disconnect();

    expect(checked.recovered).toBe(false);
    expect(checked.release).toMatch(/\S/);
    expect(existsSync(mark)).toBe(false);
  });

  it('is power-cycled when it does not answer within its boot timeout, and down if still silent', async () => {
    const mark = join(sshd.dir, 'power-cycled-2');
    const session = new LabSession({
      ...sshd.lab,
      port: await freePort(),
      bootTimeoutSeconds: 1,
      powerCycleCommand: ['touch', mark],
    });
    const error = await checkLabAfterUncleanHolder(session).catch((e: unknown) => e);
    session.disconnect();

    expect(existsSync(mark)).toBe(true);
    expect(error).toBeInstanceOf(LabDown);
    expect((error as Error).message).toMatch(/no SSH within 1 s after a power cycle/);
  });
});
