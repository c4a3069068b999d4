import { execFileSync } from 'node:child_process';
import type { JournalEntry } from '@kbisect/core';
import { createStores } from '@kbisect/queue';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServiceHarness } from '../service/support/service-harness.js';
import { CHROMIUM, describeNeeding } from '../support/requirements.js';
import { connectTestRedis } from '../support/test-redis.js';
import { DashboardTab, launchChromium } from './browser.js';

/**
 * The dashboard in Debian's chromium against a real service: the API in this process (its
 * page bundled at start), a real worker process, real Redis, bisects of the generated C
 * project. The tokens are the harness's: ci (write), viewer (read-only), ops (admin).
 */

/** Each sample the record size plus up to 255 of noise: good and bad told apart by rank test. */
const NOISY_METRIC =
  "v=$(sed -n 's/^#define RECORD_SIZE //p' main.c); n=$(od -An -N1 -tu1 /dev/urandom); echo $((v + n))";

interface Journal {
  status: string;
  journal: {
    commit: string;
    verdict: string;
    evidence?: { samples?: unknown[]; build?: { ok: boolean; logTail?: string } };
  }[];
  result?: { culprit: string | null };
}

let service: ServiceHarness;
let browser: Browser;
const tabs: DashboardTab[] = [];

const describeInChromium = describeNeeding(CHROMIUM);

describeInChromium('the dashboard in a browser', () => {
  // One browser for both services, started while the first service starts.
  beforeAll(async () => {
    [browser] = await Promise.all([launchChromium(), startService()]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('of a service whose reads need a token', dashboardTests);
  describe('of a service whose reads are open', openReadsTests);
});

async function startService(): Promise<void> {
  service = await ServiceHarness.start('web', { readsNeedToken: true });
  await service.startWorker();
}

function dashboardTests(): void {
  afterAll(async () => {
    await service?.close();
  });
  afterEach(async () => {
    // Every tab of every test: no console error, no exception, nothing fetched elsewhere.
    const problems = tabs.flatMap((tab) => tab.problems);
    await Promise.all(tabs.splice(0).map((tab) => tab.close()));
    expect(problems).toEqual([]);
  });

  const read = async <T>(path: string): Promise<T> => {
    const response = await service.request('GET', path, { token: service.tokens.admin });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
    return (await response.json()) as T;
  };
  const submit = async (spec: Record<string, unknown>) => {
    const response = await service.request('POST', '/v1/bisects', {
      body: service.spec(spec),
      token: service.tokens.writer,
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const waitForEnd = async (id: string, timeoutMs = 60_000) => {
    await expect
      .poll(async () => (await read<Journal>(`/v1/bisects/${id}`)).status, {
        timeout: timeoutMs,
        interval: 200,
      })
      .not.toMatch(/^(queued|running)$/);
  };
  const open = async (token: string, path = '/ui/') => {
    const tab = await DashboardTab.open(browser, service.api.url);
    tabs.push(tab);
    await tab.signIn(`${service.api.url}${path}`, token);
    return tab;
  };

  it('lists a bisect and follows it live: every new step on the page within 2 s, one dot per sample, the culprit column bad', async () => {
    const id = await submit({
      oracle: { kind: 'metric', command: NOISY_METRIC },
      decision: { calibrationSamples: 6, samples: 4, maxSamples: 8 },
      labels: { suite: 'web' },
    });
    const tab = await open(service.tokens.writer);
    const { page } = tab;
    await page.locator(`tr[data-bisect="${id}"]`).waitFor();
    await page.selectOption('#filter-status', 'error');
    await page.locator(`tr[data-bisect="${id}"]`).waitFor({ state: 'detached' });
    await page.selectOption('#filter-status', '');
    await page.fill('#filter-label', 'suite=web');
    await page.press('#filter-label', 'Enter');
    await page.locator(`tr[data-bisect="${id}"]`).waitFor();
    expect(page.url()).toContain('label=suite%3Dweb');
    await page.click(`tr[data-bisect="${id}"] a`);
    await page.locator('#samples-chart canvas').waitFor();

    // Each time the API's journal grows, the page shows the new step within 2 s, unreloaded.
    const delays: number[] = [];
    const estimates = new Set<string>();
    let seen = (await read<Journal>(`/v1/bisects/${id}`)).journal.length;
    for (;;) {
      const view = await read<Journal>(`/v1/bisects/${id}`);
      if (view.journal.length > seen) {
        seen = view.journal.length;
        const noticed = Date.now();
        const timeline = page.locator('#step-timeline');
        await expect
          .poll(async () => Number(await timeline.getAttribute('data-steps')), {
            timeout: 2000,
            interval: 25,
          })
          .toBeGreaterThanOrEqual(seen);
        delays.push(Date.now() - noticed);
        estimates.add((await page.locator('[data-fact="eta"]').textContent()) ?? '');
      }
      if (!['queued', 'running'].includes(view.status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(`steps shown after: ${delays.join(', ')} ms (${delays.length} steps)`);
    expect(delays.length).toBeGreaterThan(0);
    // The service's estimate of the time left, from the step events.
    console.log(`time left shown: ${[...estimates].join(' | ')}`);
    expect([...estimates].some((text) => /^about \d/.test(text))).toBe(true);

    const view = await read<Journal & { result?: { error?: string; reason?: string } }>(
      `/v1/bisects/${id}`,
    );
    expect(view.status, view.result?.error ?? view.result?.reason).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    await page.locator('#result [data-culprit]').waitFor();
    const samples = view.journal.reduce((n, e) => n + (e.evidence?.samples?.length ?? 0), 0);
    const chart = page.locator('#samples-chart');
    expect(Number(await chart.getAttribute('data-sample-marks'))).toBe(samples);
    const perColumn = await page
      .locator('#chart-columns [data-commit]')
      .evaluateAll((buttons) => buttons.map((b) => Number(b.getAttribute('data-samples'))));
    expect(perColumn.reduce((a, b) => a + b, 0)).toBe(samples);
    expect(perColumn).toHaveLength(new Set(view.journal.map((e) => e.commit)).size);
    const culprit = page.locator('#chart-columns [data-culprit="true"]');
    expect(await culprit.getAttribute('data-commit')).toBe(service.project.culprit);
    expect(await culprit.getAttribute('data-verdict')).toBe('bad');

    // The tooltip over the chart names a column's samples and p-values.
    const box = await page.locator('#samples-chart .u-over').boundingBox();
    if (!box) throw new Error('the chart has no plot area');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.locator('.chart-tooltip').textContent()).toMatch(/samples?/);

    // Keyboard: the culprit's column is a button; Enter shows its evidence.
    await culprit.focus();
    await page.keyboard.press('Enter');
    await page
      .locator(`.evidence[data-commit="${service.project.culprit}"] table.samples`)
      .waitFor();
    const downloaded = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download JUnit' }).click();
    const junit = await downloaded;
    expect(junit.suggestedFilename()).toBe(`${id}.junit.xml`);
    await page.click('#show-report');
    await expect
      .poll(() => page.locator('#report-text').textContent())
      .toContain(service.project.culprit.slice(0, 12));
    expect(await page.locator('#bisect-log').textContent()).toContain('git bisect start');
    expect(await tab.layoutShift()).toBeLessThan(0.1);
    // A fix recorded later (kbisect fixed) is on the page when it is next opened.
    const fixed = await service.request('POST', `/v1/bisects/${id}/fixed`, {
      body: { commit: 'main', note: 'recorded by the web test' },
      token: service.tokens.writer,
    });
    expect(fixed.status).toBeLessThan(300);
    await page.reload();
    await page.locator('#result [data-fix]').waitFor();
    expect(await page.locator('#result [data-fix]').textContent()).toContain(
      'recorded by the web test',
    );
    await page.mouse.move(0, 0);
    await tab.screenshot('bisect-found');
    await page.click('a[data-nav="bisects"]');
    await page.locator(`tr[data-bisect="${id}"] [data-status="found"]`).waitFor();
    await tab.screenshot('bisect-list');
  });

  it('shows the build log tail of a commit that does not compile, and the console tail of a kernel that did not boot', async () => {
    const broken = service.project.unbuildable[0] as string;
    const id = await submit({ bad: broken });
    await waitForEnd(id);
    const view = await read<Journal & { range: { goods: string[] } }>(`/v1/bisects/${id}`);
    const failed = view.journal.find((e) => e.evidence?.build && !e.evidence.build.ok);
    if (!failed) throw new Error(`no failed build in the journal: ${JSON.stringify(view)}`);
    const logTail = failed.evidence?.build?.logTail ?? '';
    expect(logTail).not.toBe('');

    // A real boot failure needs a kernel lab, which this machine has not: this entry has the
    // shape runBisect journals for a kernel that did not come back (note = the OracleFailed
    // message, then the lab's console tail), appended to the real journal as a worker would.
    const redis = connectTestRedis();
    const good = view.range.goods[0] as string;
    const bootFailure: JournalEntry = {
      commit: good,
      verdict: 'skip',
      source: 'oracle',
      at: new Date().toISOString(),
      evidence: {
        build: { ok: true, seconds: 1 },
        samples: [],
        skipReason: 'boot-failed',
        note: 'boot failed: lab vm-a: kernel 6.1.0-kb-6c5d5c5 did not answer SSH within 90 s\n[    1.234] Kernel panic - not syncing: VFS: Unable to mount root fs',
        testSeconds: 90,
      },
    };
    try {
      await createStores(redis, service.config).journals.appendLast(id, bootFailure);
    } finally {
      redis.disconnect();
    }

    const tab = await open(service.tokens.reader, `/ui/bisects/${id}`);
    await tab.page.click(`#chart-columns [data-commit="${failed.commit}"]`);
    const log = tab.page.locator('.evidence pre[data-log="build"]');
    await log.waitFor();
    const tail = logTail.trim().split('\n').at(-1) as string;
    expect(await log.textContent()).toContain(tail);
    await tab.screenshot('build-failure');
    await tab.page.click(`#chart-columns [data-commit="${good}"]`);
    const consoleTail = tab.page.locator('.evidence pre[data-log="console"]');
    await consoleTail.waitFor();
    expect(await consoleTail.textContent()).toContain('Kernel panic - not syncing');
    expect(await tab.page.locator('.evidence').textContent()).toContain('did not answer SSH');
    expect(await tab.page.locator('#samples-chart').getAttribute('data-failure-marks')).toBe('2');
  });

  it('shows the stall histogram and TCP counters of splice-loopback samples, with the lab and kernel', async () => {
    // On the worker host the kernel is the same for every commit: the calibration cannot tell
    // good from bad, and the bisect stops there, its endpoints' samples in the journal.
    const id = await submit({
      oracle: { kind: 'splice-loopback', args: '--duration 0.3' },
      // The fewest runs per endpoint with which a commit could still reach significance.
      decision: { calibrationSamples: 3 },
    });
    await waitForEnd(id);
    const view = await read<Journal>(`/v1/bisects/${id}`);
    const sampled = view.journal.find((e) => (e.evidence?.samples?.length ?? 0) > 0);
    if (!sampled) throw new Error(`no samples in the journal: ${JSON.stringify(view)}`);
    // A calibration that looks more than once gives an endpoint one entry, so one table, per look.
    const looks = view.journal.filter(
      (e) => e.commit === sampled.commit && (e.evidence?.samples?.length ?? 0) > 0,
    );
    const samples = looks.reduce((sum, e) => sum + (e.evidence?.samples?.length ?? 0), 0);
    const tab = await open(service.tokens.reader, `/ui/bisects/${id}`);
    await tab.page.click(`#chart-columns [data-commit="${sampled.commit}"]`);
    const tables = tab.page.locator('.evidence table.samples');
    await tables.first().waitFor();
    expect(await tables.count()).toBe(looks.length);
    const headers = await tables.first().locator('th').allTextContents();
    expect(headers).toEqual(
      expect.arrayContaining(['stalls', 'retransmits', 'delayed ACKs', 'kernel']),
    );
    expect(await tables.locator('tbody tr').count()).toBe(samples);
    expect(await tables.locator('.histogram').count()).toBe(samples);
    await tab.screenshot('splice-evidence');
  });

  it('marks the commit under test and cancels from the page for its owner; a read-only token sees neither', async () => {
    const id = await submit({ build: { command: 'exec sleep 120' } });
    const viewer = await open(service.tokens.reader, `/ui/bisects/${id}`);
    await viewer.page.locator('[data-fact="owner"]').waitFor();
    const owner = await open(service.tokens.writer, `/ui/bisects/${id}`);
    await owner.page.locator('#cancel').waitFor();
    expect(await viewer.page.locator('#cancel').count()).toBe(0);
    expect(await viewer.page.locator('[data-mark-current]').count()).toBe(0);

    // The build hangs: the owner marks the commit under test bad by hand.
    await owner.page.locator('[data-mark-current="bad"]').waitFor();
    const underTest = (await read<{ progress?: { commit: string } }>(`/v1/bisects/${id}`)).progress
      ?.commit as string;
    expect(underTest).toMatch(/^[0-9a-f]{40}$/);
    await owner.page.click('[data-mark-current="bad"]');
    await owner.page
      .locator(`#chart-columns [data-commit="${underTest}"][data-verdict="bad"]`)
      .waitFor();
    const marked = (await read<Journal>(`/v1/bisects/${id}`)).journal.find(
      (e) => e.commit === underTest,
    );
    expect(marked).toMatchObject({ verdict: 'bad', source: 'manual' });
    // The viewer's page follows the same bisect live.
    await viewer.page
      .locator(`#chart-columns [data-commit="${underTest}"][data-verdict="bad"]`)
      .waitFor();
    const refused = await service.request('POST', `/v1/bisects/${id}/cancel`, {
      token: service.tokens.reader,
    });
    expect(refused.status).toBe(403);
    owner.page.once('dialog', (dialog) => void dialog.accept());
    await owner.page.click('#cancel');
    await waitForEnd(id, 30_000);
    expect((await read<Journal>(`/v1/bisects/${id}`)).status).toBe('cancelled');
    await owner.page.locator('#status [data-status="cancelled"]').waitFor({ timeout: 5000 });
    await viewer.page.locator('#status [data-status="cancelled"]').waitFor({ timeout: 5000 });
  });

  it("draws a watch's history: one point per run, the regression marked and linked to its bisect", async () => {
    execFileSync('git', ['branch', 'nightly', 'v1.0'], { cwd: service.project.dir });
    const created = await service.request('POST', '/v1/watches', {
      token: service.tokens.writer,
      body: {
        repo: service.project.dir,
        branch: 'nightly',
        cron: '0 0 3 * * *',
        tz: 'UTC',
        build: { command: 'make -s' },
        oracle: { kind: 'metric', command: NOISY_METRIC },
        decision: { threshold: 1000 },
        samples: 5,
      },
    });
    expect(created.status).toBe(201);
    const watch = ((await created.json()) as { id: string }).id;
    type Runs = { runs: { status: string; bisectId?: string }[] };
    for (let run = 0; run < 2; run++) {
      const started = await service.request('POST', `/v1/watches/${watch}/run`, {
        token: service.tokens.writer,
      });
      expect(started.status).toBeLessThan(300);
      await expect
        .poll(
          async () =>
            (await read<Runs>(`/v1/watches/${watch}/runs`)).runs.filter(
              (r) => r.status !== 'running',
            ).length,
          {
            timeout: 30_000,
            interval: 200,
          },
        )
        .toBe(run + 1);
    }
    // The branch moves to the planted culprit: the next run is a regression and bisects it.
    execFileSync('git', ['branch', '-f', 'nightly', service.project.culprit], {
      cwd: service.project.dir,
    });
    await service.request('POST', `/v1/watches/${watch}/run`, { token: service.tokens.writer });
    await expect
      .poll(async () => (await read<Runs>(`/v1/watches/${watch}/runs`)).runs[0]?.status, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe('regression');
    const { runs } = await read<Runs>(`/v1/watches/${watch}/runs`);
    const bisect = runs[0]?.bisectId as string;
    expect(bisect).toBeTruthy();

    const tab = await open(service.tokens.reader, '/ui/watches');
    await tab.page.click(`tr[data-watch="${watch}"] a`);
    await tab.page.locator('#history-chart[data-runs="3"] canvas').waitFor();
    expect(await tab.page.locator('#history-chart').getAttribute('data-regressions')).toBe('1');
    expect(await tab.page.locator('#run-rows tr[data-status="good"]').count()).toBe(2);
    const regression = tab.page.locator('#run-rows tr[data-status="regression"] a');
    expect(await regression.textContent()).toBe(bisect);
    await tab.screenshot('watch-history');
    await regression.click();
    await tab.page.locator('#samples-chart').waitFor();
    expect(tab.page.url()).toContain(`/ui/bisects/${bisect}`);
    // Nothing left running when the service closes.
    await service.request('POST', `/v1/bisects/${bisect}/cancel`, { token: service.tokens.writer });
    await waitForEnd(bisect, 30_000);
  });
}

function openReadsTests(): void {
  let open: ServiceHarness;
  beforeAll(async () => {
    open = await ServiceHarness.start('web-open', { readsNeedToken: false });
  });
  afterAll(async () => {
    await open?.close();
  });

  it('asks for no token to read, and takes one on request to act', async () => {
    const tab = await DashboardTab.open(browser, open.api.url);
    try {
      await tab.page.goto(`${open.api.url}/ui/`);
      await tab.page.locator('#bisect-rows').waitFor();
      expect(await tab.page.locator('#token-dialog[open]').count()).toBe(0);
      await tab.page.click('#give-token');
      await tab.page.fill('#token-input', open.tokens.writer);
      await tab.page.press('#token-input', 'Enter');
      await tab.page.locator('[data-caller="ci"]').waitFor();
      expect(tab.problems).toEqual([]);
    } finally {
      await tab.close();
    }
  });
}
