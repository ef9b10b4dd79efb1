import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ensureWebBuilt } from '../../lib/local/web';
import { type LocalApi, startLocalApi } from '../helpers/local-api';
import { costRow } from '../integration/costs/known-costs';

/**
 * The console in a real browser: Debian's chromium driven by playwright-core (no browser
 * download), against the server `npm start` serves (route table, authorizer, handlers,
 * the built web/dist) on embedded ClickHouse with fixtures.
 */
export const ROOT = resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const CUSTOMER = 'default';

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

export async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'optiinfra-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Builds web/ when stale (as npm start does) and serves it with the API. */
export async function startConsoleServer(): Promise<LocalApi> {
  const web = ensureWebBuilt({ root: ROOT });
  await web.done;
  const s = web.state();
  if (s.status !== 'ready') throw new Error(`web build: ${s.error}`);
  return startLocalApi({ web, env: { DEFAULT_CUSTOMER_ID: CUSTOMER, LOCAL_HOURLY_RATE: '0.5' } });
}

/** Cost history for two providers and two currencies over this month and the last. */
export async function seedCosts(api: LocalApi) {
  const today = new Date();
  const rows = [];
  for (let i = 1; i <= 40; i++) {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
    const day = d.toISOString().slice(0, 10);
    rows.push(
      costRow(CUSTOMER, {
        provider: 'aws',
        day,
        service: 'Amazon EC2',
        resource: 'i-0abc',
        billed: `${10 + (i % 5)}.25`,
        effective: '9.5',
        currency: 'USD',
      }),
      costRow(CUSTOMER, {
        provider: 'vultr',
        day,
        service: 'Cloud Compute',
        resource: 'vultr-gpu-1',
        billed: '4.10',
        effective: '4.10',
        currency: 'USD',
      }),
      costRow(CUSTOMER, {
        provider: 'gcp',
        day,
        service: 'Compute Engine',
        billed: '3.333',
        effective: '3.333',
        currency: 'EUR',
      }),
    );
  }
  await api.runtime.writer.write('costs', rows);
}

/** Console errors and uncaught exceptions of a page, and a way to forget them. */
export function watchConsole(page: Page, allowed: (url: string) => boolean) {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // A route the server does not have yet answers 404, which Chrome logs as a failed load.
    if (/Failed to load resource/.test(m.text()) && allowed(m.location().url)) return;
    errors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core violations of impact serious or critical on the current page. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
    );
}

/** Waits until no panel is loading. */
export async function settled(page: Page) {
  await page.waitForFunction(
    "document.querySelectorAll('[aria-busy=\"true\"]').length === 0 && !!document.querySelector('main#main')",
    null,
    {
      timeout: 15_000,
    },
  );
}

export async function signIn(page: Page, url: string, key: string, customer?: string) {
  await page.goto(url);
  await page.getByLabel('API key').fill(key);
  if (customer) await page.getByLabel(/Customer/).fill(customer);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('nav[aria-label="Pages"]');
}
