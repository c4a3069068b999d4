import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';
import { readSse } from './support/sse.js';

/**
 * Builds ahead and labs on the build host's cores (docs/service.md, "Builds ahead"): a bisect
 * whose oracle measures performance builds nothing ahead when it measures on `lab: local`, or
 * on a lab whose config says (or, on loopback, defaults to) `sharesBuildHost`; on a lab of its
 * own it builds ahead, as an exit-code bisect does anywhere (speculative-builds.test.ts).
 * Real API, worker process, Redis and git.
 */
let service: ServiceHarness;

const FINGERPRINT = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

const labsDir = mkdtempSync(join(tmpdir(), 'kbisect-shared-host-labs-'));

beforeAll(async () => {
  // Two lab files, both on loopback (nothing listens there: no sample is taken on them).
  // vm-a is a VM on this machine, as `kbisect lab vm` makes one: sharesBuildHost by default.
  // rack1 is a loopback port forwarded to a machine of its own, which its config says.
  const lab = (name: string, extra: object) => {
    const file = join(labsDir, `${name}.json`);
    const config = { name, host: '127.0.0.1', port: 9, hostKeyFingerprint: FINGERPRINT };
    writeFileSync(file, JSON.stringify({ ...config, ...extra }));
    return file;
  };
  service = await ServiceHarness.start('shared-host', {
    sections: { labs: [lab('vm-a', {}), lab('rack1', { sharesBuildHost: false })] },
    // Room for a step's build and both builds ahead of it.
    concurrency: { build: 4 },
  });
  await service.startWorker();
});
afterAll(async () => {
  await service?.close();
  rmSync(labsDir, { recursive: true, force: true });
});

/** The log lines of a bisect's event stream, read to its end. */
async function logLines(id: string): Promise<string[]> {
  const events = await readSse(`${service.api.url}/v1/bisects/${id}/events`, {
    timeoutMs: 120_000,
  });
  return events.filter((e) => e.event === 'log').map((e) => (e.data as { msg: string }).msg);
}

const aheadLines = (lines: string[]) => lines.filter((m) => m.startsWith('build ahead: '));

describe('a measuring oracle on lab local', () => {
  // Good prints 100, bad 10, with a little noise: calibration ends at its first look.
  const metric = `n=$(( $(od -An -N1 -tu1 /dev/urandom) % 5 )); ${RECORD_ORACLE} && echo $((100 + n)) || echo $((10 + n))`;

  it('is measured with nothing built ahead, and says why', async () => {
    const id = await service.submit(
      service.spec({ oracle: { kind: 'metric', command: metric }, confirm: false }),
    );
    const lines = await logLines(id);
    const view = await service.waitForEnd(id);
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    expect(view.journal.length).toBeGreaterThan(3);
    expect(lines).toContain(
      'no builds ahead: the metric oracle measures on the build host (lab local): builds would slow what it measures',
    );
    expect(aheadLines(lines)).toEqual([]);
  });

  it('builds ahead when the bisect says speculate: true (a metric load does not change)', async () => {
    const id = await service.submit(
      service.spec({
        oracle: { kind: 'metric', command: metric },
        confirm: false,
        speculate: true,
      }),
    );
    const lines = await logLines(id);
    const view = await service.waitForEnd(id);
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    expect(lines.filter((m) => m.startsWith('no builds ahead'))).toEqual([]);
    expect(aheadLines(lines).length).toBeGreaterThanOrEqual(1);
  });
});

describe('a measuring oracle on a kexec lab', () => {
  // A fixed threshold: no calibration, so the first step (the bad endpoint) is where builds
  // ahead start. The loopback project is no kernel: its builds fail and the bisect ends early,
  // after the coordinator decided about builds ahead.
  const onLab = (name: string) =>
    service.spec({
      build: { kernel: { config: { defconfig: 'tinyconfig' } } },
      lab: { name },
      oracle: { kind: 'metric', command: './rate.sh' },
      decision: { threshold: 50 },
      confirm: false,
    });

  it('builds nothing ahead on a VM on the build host (loopback: sharesBuildHost by default)', async () => {
    const lines = await logLines(await service.submit(onLab('vm-a')));
    expect(lines).toContain(
      "no builds ahead: the metric oracle measures on lab vm-a, which shares the build host's cores (sharesBuildHost): builds would slow what it measures",
    );
    expect(aheadLines(lines)).toEqual([]);
  });

  it('builds ahead on a lab whose config says it is a machine of its own', async () => {
    const lines = await logLines(await service.submit(onLab('rack1')));
    expect(lines.filter((m) => m.startsWith('no builds ahead'))).toEqual([]);
    expect(aheadLines(lines).length).toBeGreaterThanOrEqual(1);
  });
});
