// The dashboard under a real browser: headless Chromium (Debian's package) driven by playwright-core, the
// real app over the test database listening on 127.0.0.1, and the dashboard as `npm ci` builds it.
// Screenshots go to test-artifacts/screenshots/ (git-ignored), one per page, for people to look at.
import { expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { TestDatabase } from '../helpers/database.ts';
import type { Role } from '../../src/auth/roles.ts';
import type { Db } from '../../src/db/pool.ts';
import { addUser } from '../../src/users/users-service.ts';
import { startTestApp, type TestApp } from '../http/helpers.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`dashboard browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

const repo = fileURLToPath(new URL('../../', import.meta.url));
const webDir = path.join(repo, 'web');
const distIndex = path.join(webDir, 'dist', 'index.html');
export const screenshotDir = path.join(repo, 'test-artifacts', 'screenshots');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The newest modification time under a folder (web/dist and dependencies left out). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

/**
 * Builds web/dist when it is missing or older than web/'s sources (npm ci built it; a changed page is
 * rebuilt here). Test files run in parallel: a lock makes one build and the others wait for it.
 */
export async function ensureDashboardBuilt(): Promise<void> {
  const release = await lockfile.lock(webDir, {
    lockfilePath: path.join(
      os.tmpdir(),
      `sovi-web-build-${Buffer.from(repo).toString('base64url').slice(-24)}.lock`,
    ),
    retries: { retries: 120, minTimeout: 250, maxTimeout: 1000 },
    stale: 60_000,
  });
  try {
    const built = fs.existsSync(distIndex) ? fs.statSync(distIndex).mtimeMs : 0;
    if (built >= newest(webDir)) return;
    const { build } = await import('vite');
    await build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    await release();
  }
}

export interface Dashboard {
  api: TestApp;
  url: string;
  context: BrowserContext;
  page: Page;
  /** Errors the page logged: uncaught exceptions and console errors, such as a CSP refusal. */
  errors: string[];
  close(): Promise<void>;
}

/** The app listening on a free port, and a fresh Chromium profile with one page at 1280×800. */
export async function openDashboard(
  t: TestDatabase,
  options: { env?: Record<string, string> } = {},
): Promise<Dashboard> {
  await ensureDashboardBuilt();
  const api = await startTestApp(t, { env: options.env });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const address = api.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on TCP');
  const url = `http://127.0.0.1:${address.port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    // A 401 before sign-in and the like are logged by the browser as failed loads: not the page's errors.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(`console: ${message.text()}`);
    }
  });
  return {
    api,
    url,
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      await api.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the form with a token (behind its toggle), and waits for the overview. */
export async function signIn(dashboard: Dashboard, secret = dashboard.api.admin.secret): Promise<void> {
  const { page } = dashboard;
  await page.goto(`${dashboard.url}/`);
  await page.getByRole('button', { name: 'Use an API token instead' }).click();
  await page.locator('input[name=token]').fill(secret);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}

/** Signs in through the form with a name and password, and waits for the overview. */
export async function signInAs(dashboard: Dashboard, name: string, password: string): Promise<void> {
  const { page } = dashboard;
  await page.goto(`${dashboard.url}/`);
  await page.locator('input[name=name]').fill(name);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}

let users = 0;

/**
 * Adds a user with this role (limited to `niches` when given) and signs them in through the form, ending
 * any session of the page first.
 */
export async function signInWithRole(
  dashboard: Dashboard,
  db: Db,
  role: Role,
  options: { niches?: string[] } = {},
): Promise<void> {
  const name = `${role}-${process.pid}-${++users}`;
  const password = `a long password for ${name}`;
  await addUser(db, { name, role, password, ...(options.niches ? { niches: options.niches } : {}) }, 'test');
  await dashboard.context.clearCookies();
  await signInAs(dashboard, name, password);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

/**
 * The page as it is now, at 1280 px and at a phone's 390 px: a screenshot of each
 * (`<flow>-<role>-<width>.png`), and at each width nothing may need a sideways scroll. Ends at 1280 px.
 */
export async function atBothWidths(page: Page, flow: string, role: string): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
    await expect
      .poll(() => page.evaluate<number>('document.scrollingElement.scrollWidth'))
      .toBeLessThanOrEqual(width);
    await screenshot(page, `${flow}-${role}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Goes to a dashboard path by clicking nothing: the browser loads it as a refresh would (the SPA fallback). */
export async function visit(dashboard: Dashboard, pathname: string): Promise<void> {
  await dashboard.page.goto(`${dashboard.url}${pathname}`);
}
