import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_DIR,
  BUILT_MAIN,
  cleanEnv,
  kill,
  listeningUrl,
  type Started,
  start,
  stop,
} from './helpers.ts';

// Debian's chromium, never a browser download. `pnpm test` at the root installs it
// (scripts/ensure-system-deps.mjs); CHROMIUM_PATH points elsewhere.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

const text = async (page: Page, id: string) => (await page.textContent(`#${id}`))?.trim() ?? '';

const MISSING = `Chromium is missing at ${CHROMIUM}: the sample's browser test needs it. Install Debian's package (sudo apt-get install -y chromium; \`pnpm test\` at the repository root does it when it can) or set CHROMIUM_PATH.`;

describe('the page in headless Chromium', () => {
  const hasChromium = existsSync(CHROMIUM);
  let app: Started | undefined;
  let browser: Browser | undefined;
  let opened: Page | undefined;
  // Never skipped: without a browser every test fails with the instructions, in CI and locally.
  const page = (): Page => {
    if (opened === undefined) throw new Error(hasChromium ? 'The page did not open.' : MISSING);
    return opened;
  };

  beforeAll(async () => {
    if (!hasChromium) return;
    app = start(process.execPath, [BUILT_MAIN], { cwd: APP_DIR, env: cleanEnv({ PORT: '0' }) });
    const url = await listeningUrl(app);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    opened = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    await opened.goto(`${url}/`);
  });

  afterAll(async () => {
    await browser?.close();
    kill(app);
  });

  it('finds Chromium', () => {
    expect(hasChromium, MISSING).toBe(true);
  });

  it('shows the organizer key and a live countdown', async () => {
    await page().waitForFunction(
      () => document.getElementById('organizer-key')?.textContent === '8439885694023999999',
    );
    const first = await text(page(), 'expires-in');
    expect(first).toMatch(/^1:\d\d\.\d$/);
    await page().waitForTimeout(1_500);
    const later = await text(page(), 'expires-in');
    expect(later).toMatch(/^1:\d\d\.\d$/);
    expect(later).not.toBe(first);
    expect(await text(page(), 'health')).toBe('health: ok');
    expect(await text(page(), 'mode')).toBe('embedded emulator');
  });

  it('shows the /me answer', async () => {
    await page().waitForFunction(
      () => document.getElementById('me-status')?.textContent === '200 OK',
    );
    expect(await text(page(), 'me-body')).toContain('"organizerKey": "8439885694023999999"');
  });

  it('shows the metrics the app exports', async () => {
    await page().waitForFunction(() =>
      (document.getElementById('metrics')?.textContent ?? '').includes('goto_auth_tokens_total'),
    );
    expect(await text(page(), 'metrics')).toMatch(/^goto_auth_token_time_left(?:\{[^}]*\})? \d/m);
  });

  for (const [button, label, says] of [
    ['expire', 'Expire the access token', 'The emulator expired the access token.'],
    ['revoke', 'Revoke it (another client mints one)', 'Another client minted a token'],
  ] as const) {
    it(`recovers after "${label}" with one new grant`, async () => {
      await page().waitForFunction(() =>
        /^\d+$/.test(document.getElementById('grants')?.textContent ?? ''),
      );
      const grants = Number(await text(page(), 'grants'));
      const rejected = Number(await text(page(), 'me-rejected'));
      expect(await text(page(), button)).toBe(label);

      await page().click(`#${button}`);
      // This action's own result line, once the page has called /api/me after it.
      await page().waitForFunction((prefix) => {
        const result = document.getElementById('demo-result')?.textContent ?? '';
        return result.startsWith(prefix) && result.includes('/api/me answered');
      }, says);
      expect(await text(page(), 'demo-result')).toContain('/api/me answered 200 OK.');
      await page().waitForFunction(
        (expected) => document.getElementById('grants')?.textContent === String(expected),
        grants + 1,
      );
      // The page's own /me poll may have carried the dead token too: one grant serves both.
      expect(Number(await text(page(), 'me-rejected'))).toBeGreaterThanOrEqual(rejected + 1);
      expect(await text(page(), 'events')).toContain('new token (refresh_token, rejected)');
    });
  }

  it('signs a user in with GoTo on the consent page; the BFF calls GoTo as that user', async () => {
    await page().waitForSelector('#sign-in:not([hidden])');
    expect(await text(page(), 'user-state')).toBe('Not signed in.');
    await page().click('#sign-in');
    // The emulator's consent page (GoTo's authorize endpoint).
    await page().waitForSelector('#approve');
    await page().selectOption('#user', 'ann@example.com');
    await page().click('#approve');
    await page().waitForFunction(
      () => document.getElementById('user-state')?.textContent === 'Signed in as ann@example.com',
    );
    expect(await text(page(), 'user-status')).toBe('200 OK');
    expect(await text(page(), 'user-body')).toContain('"userName": "ann@example.com"');
    expect(await text(page(), 'user-message')).toBe('Signed in.');
    // The browser holds a signed session cookie only: no token, nothing a script can read.
    expect(await page().evaluate(() => document.cookie)).toBe('');
    const cookies = await page().context().cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual(['sample_session']);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // The service account's token is another one: the page still shows it.
    expect(await text(page(), 'organizer-key')).toBe('8439885694023999999');
  });

  it('signs out: the user is forgotten and /api/user/me answers 401 LOGIN_REQUIRED', async () => {
    await page().click('#sign-out');
    await page().waitForFunction(
      () => document.getElementById('user-state')?.textContent === 'Not signed in.',
    );
    expect(await text(page(), 'user-status')).toBe('401 LOGIN_REQUIRED');
    expect(await text(page(), 'user-message')).toBe('Signed out.');
    expect(await page().context().cookies()).toEqual([]);
  });

  it('shows a refused consent and stays signed out', async () => {
    await page().click('#sign-in');
    await page().waitForSelector('#deny');
    await page().click('#deny');
    await page().waitForFunction(
      () => document.getElementById('user-message')?.dataset.outcome === 'failed',
    );
    expect(await text(page(), 'user-message')).toBe(
      'The sign-in did not complete (ACCESS_DENIED).',
    );
    await page().waitForFunction(
      () => document.getElementById('user-state')?.textContent === 'Not signed in.',
    );
    expect(page().url()).not.toContain('signin=');
  });

  it('looks right (screenshot in apps/sample/screenshots/)', async () => {
    // A poll made while the recovery ran shows "degraded" (a refresh in flight) until the next.
    await page().waitForFunction(
      () =>
        document.getElementById('health')?.textContent === 'health: ok' &&
        /^\d+$/.test(document.getElementById('grants')?.textContent ?? ''),
    );
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page().screenshot({ path: `${SCREENSHOTS}sample.png`, fullPage: true });
  });

  it('the app still exits with 0 on SIGTERM with the page connected', async () => {
    if (app === undefined) throw new Error('not started');
    const { code, ms } = await stop(app);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2_000);
  });
});
