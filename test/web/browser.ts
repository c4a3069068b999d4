import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where the browser tests leave their screenshots: <repo>/test-output/web (git-ignored). */
export const SCREENSHOT_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'test-output',
  'web',
);

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });

/**
 * A tab on the dashboard that records what must never happen there: a console error, an
 * uncaught exception, a request to anywhere but the service, and layout shifts (their sum
 * is Chromium's cumulative layout shift score, read by `layoutShift`).
 */
export class DashboardTab {
  readonly problems: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, origin: string): Promise<DashboardTab> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const tab = new DashboardTab(context, page);
    page.on('console', (message) => {
      if (message.type() === 'error') tab.problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => tab.problems.push(`uncaught: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) {
        tab.problems.push(`request outside the service: ${request.url()}`);
      }
    });
    // Runs in the page (a string: this file is type-checked for Node, not for the DOM).
    await page.addInitScript(`
      window.layoutShift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (!entry.hadRecentInput) window.layoutShift += entry.value;
        }
      }).observe({ type: 'layout-shift', buffered: true });
    `);
    return tab;
  }

  /** Opens `url` and gives the token when the page asks for one. */
  async signIn(url: string, token: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('#token-dialog[open]').waitFor();
    await this.page.fill('#token-input', token);
    await this.page.press('#token-input', 'Enter');
    await this.page.locator('#token-dialog[open]').waitFor({ state: 'detached' });
  }

  layoutShift(): Promise<number> {
    return this.page.evaluate<number>('window.layoutShift');
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const path = join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
    return path;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}
