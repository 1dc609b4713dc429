// Drives Debian's Chromium (/usr/bin/chromium, never a downloaded browser) through playwright-core
// for the console's end-to-end tests: a headless persistent context on a fresh profile directory,
// screenshots at desktop and phone sizes, and a record of page errors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.HOOKRELAY_CHROMIUM ?? '/usr/bin/chromium';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOT_DIR = path.join(REPO, 'test-artifacts', 'screenshots');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  narrow: { width: 390, height: 844 },
} as const;

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors seen so far (expected 4xx resource errors excluded). */
  problems: string[];
  /** Saves `<name>-desktop.png` and `<name>-narrow.png` (full page) and restores the desktop size. */
  screenshot(name: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserSession> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium); .ci/run does this when it is missing`);
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-chromium-'));
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: VIEWPORTS.desktop,
      locale: 'en-GB',
      timezoneId: 'UTC',
      reducedMotion: 'reduce',
    });
  } catch (err) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // A 401/403/404/4xx answer logs "Failed to load resource"; the page shows those itself.
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) return;
    problems.push(`console.error: ${msg.text()}`);
  });

  return {
    context,
    page,
    problems,
    async screenshot(name) {
      const files: string[] = [];
      for (const [label, size] of Object.entries(VIEWPORTS)) {
        await page.setViewportSize(size);
        // Let layout settle after the resize (media queries, wrapping).
        await page.waitForTimeout(150);
        const file = path.join(SCREENSHOT_DIR, `${name}-${label}.png`);
        await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
        files.push(file);
      }
      await page.setViewportSize(VIEWPORTS.desktop);
      return files;
    },
    async close() {
      try {
        await context.close();
      } finally {
        fs.rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}
