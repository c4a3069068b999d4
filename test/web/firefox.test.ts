import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceHarness } from '../service/support/service-harness.js';
import { describeNeeding, FIREFOX } from '../support/requirements.js';

/**
 * The dashboard in Firefox: Debian's firefox-esr driven over WebDriver BiDi by puppeteer-core
 * (playwright-core drives only its own patched Firefox, which cannot be downloaded here). The
 * Chromium tests (dashboard.test.ts) prove what the page does; this proves the same pages run
 * in Firefox without a JavaScript error and draw the same chart.
 */
let service: ServiceHarness;
let browser: Browser;
let bisectId: string;

describeNeeding(FIREFOX)('the dashboard in Firefox', () => {
  beforeAll(async () => {
    [service, browser] = await Promise.all([
      ServiceHarness.start('firefox'),
      puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX.name, headless: true }),
    ]);
    await service.startWorker();
    bisectId = await service.submit();
    await service.waitForEnd(bisectId);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  /** A tab that records console errors, uncaught exceptions and requests outside the service. */
  async function open(path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`uncaught: ${String(error)}`));
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(service.api.url) && !url.startsWith('data:')) {
        problems.push(`request outside the service: ${url}`);
      }
    });
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${service.api.url}${path}`);
    return { page, problems };
  }

  it('lists the bisect and draws its samples chart, one mark per sample, without an error', async () => {
    const list = await open('/ui/');
    await list.page.waitForSelector(`tr[data-bisect="${bisectId}"] a`);
    await list.page.click(`tr[data-bisect="${bisectId}"] a`);
    await list.page.waitForSelector('#samples-chart canvas');
    await list.page.waitForSelector('#result [data-culprit]');
    const view = await service.bisect(bisectId);
    const journal = view.journal as { evidence?: { samples?: unknown[] } }[];
    const samples = journal.reduce((n, e) => n + (e.evidence?.samples?.length ?? 0), 0);
    const marks = await list.page.$eval('#samples-chart', (chart) =>
      Number(chart.getAttribute('data-sample-marks')),
    );
    expect(marks).toBe(samples);
    const culprit = await list.page.$eval('#chart-columns [data-culprit="true"]', (column) =>
      column.getAttribute('data-commit'),
    );
    expect(culprit).toBe(service.project.culprit);
    expect(list.problems).toEqual([]);
  });

  it('shows the watches page without an error', async () => {
    const watches = await open('/ui/watches');
    await watches.page.waitForSelector('main');
    await new Promise((r) => setTimeout(r, 500));
    expect(watches.problems).toEqual([]);
  });
});
