/**
 * The console in a real browser (Debian's Chromium through playwright-core), over a simulated
 * fleet after a day of changes. Saves a screenshot of each page into docs/ (console-*.png).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_PASSWORD, CONSOLE_USER, type ConsoleFixture, HOSTILE_NAME, startConsoleFixture } from '../helpers/console.js';
import { chromiumPath, launchChromium } from '../helpers/chromium.js';
import { tempDir } from '../helpers/temp.js';

// Every run takes the screenshots; UPDATE_SCREENSHOTS=1 keeps them in docs/ (from the SQLite
// project only: the pages are the same on PostgreSQL), so a plain `npm test` leaves the tree clean.
const DOCS = join(import.meta.dirname, '..', '..', 'docs');
const SCREENSHOTS = process.env.WABA_TEST_BACKEND !== 'postgres';
const screenshotDir = () => (process.env.UPDATE_SCREENSHOTS === '1' ? DOCS : tempDir());

let fixture: ConsoleFixture;
let browser: Browser;

describe.skipIf(chromiumPath() === null)('the web console in Chromium', () => {
  beforeAll(async () => {
    fixture = await startConsoleFixture();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  /** A fresh browser context (no cookies), recording every dialog a script might open. */
  async function newPage(): Promise<{ page: Page; dialogs: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return { page, dialogs };
  }

  async function signedIn(): Promise<{ page: Page; dialogs: string[] }> {
    const opened = await newPage();
    await opened.page.goto(`${fixture.url}/`);
    await opened.page.getByLabel('User name').fill(CONSOLE_USER);
    await opened.page.getByLabel('Password').fill(CONSOLE_PASSWORD);
    await opened.page.getByRole('button', { name: 'Sign in' }).click();
    await opened.page.waitForURL(`${fixture.url}/`);
    return opened;
  }

  const shoot = async (page: Page, name: string) => {
    if (SCREENSHOTS) await page.screenshot({ path: join(screenshotDir(), `console-${name}.png`) });
  };

  it('asks for a login first and refuses a wrong password', async () => {
    const { page } = await newPage();
    await page.goto(`${fixture.url}/events`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('User name').fill(CONSOLE_USER);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong user name or password');
    expect(new URL(page.url()).pathname).toBe('/login');
    await shoot(page, 'login');
    await page.context().close();
  });

  it('renders every page with its data', async () => {
    const { page, dialogs } = await signedIn();
    const main = page.locator('main');
    // Overview: each source, the day's events by type, the schedule.
    for (const text of ['Meta', '360dialog', '99digital', 'waba.shared', 'sync-full']) expect(await main.textContent()).toContain(text);
    await shoot(page, 'overview');

    await page.getByRole('link', { name: 'Events', exact: true }).click();
    expect(await main.textContent()).toContain('Dental Clinic Ashdod');
    expect(await main.textContent()).toContain('quality_rating: GREEN → YELLOW');
    await shoot(page, 'events');
    // A filter: the family waba.* only.
    await page.getByLabel('Type or family (waba.*)').fill('waba.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    const types = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(types.length).toBeGreaterThan(0);
    for (const type of types) expect(type).toMatch(/^waba\./);

    await page.goto(`${fixture.url}/runs`);
    expect(await main.textContent()).toContain('complete');
    expect(await page.locator('tbody tr').count()).toBe(6);
    await shoot(page, 'runs');

    await page.goto(`${fixture.url}/outbox`);
    expect(await main.textContent()).toContain('SMTP_URL is not set');
    await shoot(page, 'outbox');

    await page.goto(`${fixture.url}/reports`);
    await page.locator('main li a').first().click();
    const report = page.frameLocator('iframe.report');
    await expect.poll(() => report.locator('h1').textContent()).toContain('Monthly conversation report');
    // The charts load inside the frame (same origin, the session's cookie): each image has its pixels.
    const charts = report.locator('img');
    expect(await charts.count()).toBeGreaterThan(0);
    await expect.poll(() => charts.evaluateAll((images: { complete: boolean; naturalWidth: number }[]) => images.every((i) => i.complete && i.naturalWidth > 0))).toBe(true);
    await shoot(page, 'report');

    await page.goto(`${fixture.url}/onboarding`);
    expect(await main.textContent()).toContain('Acme inc');
    expect(await main.textContent()).toContain('Create an onboarding link');
    await shoot(page, 'onboarding');
    expect(dialogs).toEqual([]);
    await page.context().close();
  });

  it('search finds a WABA by its id and a number written another way', async () => {
    const { page } = await signedIn();
    await page.goto(`${fixture.url}/search`);
    await page.getByLabel(/id, name or phone number/).fill(fixture.hostileWabaId);
    await page.getByRole('button', { name: 'Search' }).click();
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody').textContent()).toContain(fixture.hostileWabaId);
    // Meta writes "+972 4-555-0102"; an operator types the digits with other separators.
    await page.getByLabel(/id, name or phone number/).fill('972 (4) 555.0102');
    await page.getByRole('button', { name: 'Search' }).click();
    expect(await page.locator('tbody').textContent()).toContain('Pizza Hut');
    await shoot(page, 'search');
    await page.context().close();
  });

  it('shows an entity with each version, the old state as of a moment, and its events', async () => {
    const { page } = await signedIn();
    await page.goto(`${fixture.url}/search?q=${encodeURIComponent('Bakery Levi')}`);
    await page.locator('tbody tr', { hasText: 'waba' }).first().getByRole('link').click();
    const timeline = page.locator('ol.timeline > li');
    expect(await timeline.count()).toBe(2);
    expect(await page.locator('ol.timeline').textContent()).toContain('PENDING');
    expect(await page.locator('pre').textContent()).toContain('"APPROVED"');
    expect(await page.locator('main').textContent()).toContain('waba.review_status_changed');
    await shoot(page, 'entity');
    // The first version's link: the state as of then.
    await timeline.last().getByRole('link').click();
    expect(await page.getByRole('heading', { level: 2, name: /State as of/ }).count()).toBe(1);
    expect(await page.locator('pre').textContent()).toContain('"PENDING"');
    await page.context().close();
  });

  it('links the same business across sources: a WABA to its 360dialog channel, a number to the same digits elsewhere', async () => {
    const { page } = await signedIn();
    await page.goto(`${fixture.url}/search?q=${encodeURIComponent(fixture.hostileWabaId)}`);
    await page.locator('tbody a').first().click();
    const links = page.locator('section', { has: page.getByRole('heading', { name: 'The same business elsewhere' }) });
    expect(await links.textContent()).toContain('Linked channel');
    // The Meta number "+972 50-123 4567": the 99digital number and the 360dialog channel with its digits.
    await page.goto(`${fixture.url}/search?q=${encodeURIComponent('+972 50-123 4567')}`);
    await page.locator('tbody tr', { hasText: 'phone_number' }).getByRole('link').click();
    expect(await links.textContent()).toContain('Linked channel');
    expect(await links.textContent()).toContain('99digital');
    await page.context().close();
  });

  it('shows a business named like markup as text, and runs nothing', async () => {
    const { page, dialogs } = await signedIn();
    await page.goto(`${fixture.url}/events?source=meta`);
    expect(await page.locator('main').textContent()).toContain(HOSTILE_NAME);
    expect(await page.locator('main img').count()).toBe(0);
    await page.goto(`${fixture.url}/search?q=${encodeURIComponent(HOSTILE_NAME)}`);
    expect(await page.locator('tbody').textContent()).toContain(HOSTILE_NAME);
    await page.locator('tbody a').first().click();
    expect(await page.locator('h1').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.context().close();
  });

  it('refuses a POST whose form lost its CSRF token; with it, Sync now runs a pull', async () => {
    const { page } = await signedIn();
    const runs = async () => Number((await fixture.app.db.selectFrom('sync_run').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await runs();
    // The page runs no script of its own; the test removes the token through the browser's devtools protocol.
    await page.locator('input[name="_csrf"]').evaluateAll((inputs: { remove(): void }[]) => {
      for (const input of inputs) input.remove();
    });
    const refused = page.waitForResponse((r) => r.url().endsWith('/sources/meta/sync'));
    await page.getByRole('button', { name: 'Sync Meta now' }).click();
    expect((await refused).status()).toBe(403);
    expect(await runs()).toBe(before);

    await page.goto(`${fixture.url}/`);
    await page.getByRole('button', { name: 'Sync Meta now' }).click();
    await page.waitForURL(/\/runs\?source=meta/);
    expect(await page.getByRole('status').textContent()).toContain('A full pull of meta was started');
    await expect.poll(async () => {
      await page.reload();
      return page.locator('tbody tr').first().textContent();
    }).toContain('complete');
    expect(await runs()).toBe(before + 1);
    await page.context().close();
  });

  it('creates a 99digital onboarding link from the form: a bad field is named and nothing sent; a good one is created and recorded', async () => {
    const { page } = await signedIn();
    const requests = async () => (await fixture.app.db.selectFrom('onboarding_request').selectAll().execute()).length;
    await page.goto(`${fixture.url}/onboarding`);
    await page.getByLabel(/Coexistence instead/).check();
    await page.getByLabel('Business name (required)').fill('Shop Mizrahi');
    await page.getByLabel(/Display name/).fill('Shop!');
    await page.getByRole('button', { name: 'Create the link' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Display name');
    expect(await requests()).toBe(0);
    // The form keeps what was typed.
    expect(await page.getByLabel('Business name (required)').inputValue()).toBe('Shop Mizrahi');
    await page.getByLabel(/Display name/).fill('Shop Mizrahi');
    await page.getByRole('button', { name: 'Create the link' }).click();
    expect(await page.locator('main').textContent()).toContain('Onboarding link for');
    const recorded = await fixture.app.db.selectFrom('onboarding_request').selectAll().execute();
    expect(recorded).toMatchObject([{ business_name: 'Shop Mizrahi', coexistence: 1, created_by: CONSOLE_USER }]);
    await page.context().close();
  });

  it('exports the filtered events as CSV with formulas neutralised', async () => {
    const { page } = await signedIn();
    await page.goto(`${fixture.url}/events?source=meta`);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'CSV' }).click();
    const file = join(tempDir(), 'events.csv');
    await (await download).saveAs(file);
    const csv = readFileSync(file, 'utf8');
    expect(csv).toContain(`"'=HYPERLINK(""https://evil.example"",""open"")"`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
    await page.context().close();
  });
});
