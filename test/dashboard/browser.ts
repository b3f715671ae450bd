import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; .ci/run installs it (apt-get install -y chromium). Playwright never downloads one. */
export const CHROMIUM = process.env.TXBOX_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Where this browser's profile and failure screenshots go. */
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile in a temporary folder (Playwright takes the profile as
 * `launchPersistentContext`'s folder rather than a `--user-data-dir` argument).
 */
export async function openBrowser(options: { javaScriptEnabled?: boolean } = {}): Promise<TestBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'txbox-dashboard-'));
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    viewport: { width: 1360, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    dir,
    async close() {
      await context.close();
      rmSync(join(dir, 'profile'), { recursive: true, force: true });
    },
  };
}

/** Runs `fn`; on failure saves a screenshot of the page under the browser's folder and says where. */
export async function withScreenshot(b: TestBrowser, name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    const path = join(b.dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await b.page.screenshot({ path, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${path}`);
    throw error;
  }
}
