/**
 * Every page of the app, in French and English, in Chromium against a real server (SQLite):
 * - axe-core (WCAG 2.0/2.1 A and AA): no `serious` or `critical` violation;
 * - every HTML response carries a CSP whose script-src has no 'unsafe-inline', and X-Content-Type-Options: nosniff;
 * - the public pages and signing in work with JavaScript disabled.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_ADMIN_EMAIL, DEMO_ORG_NAME, DEMO_ORG_SLUG, type E2EBrowser, formatViolations, isHtml, launchBrowser,
  type RunningServer, runAxe, securityHeaderProblems, signInAsAdmin, startServer, withLang,
} from './support.js';

type Lang = 'fr' | 'en';
const LANGS: Lang[] = ['fr', 'en'];
const SLUG = `/console/${DEMO_ORG_SLUG}`;

interface Visit {
  path: string;
  status: number;
}

const PUBLIC_PAGES: Visit[] = [
  { path: '/', status: 200 },
  { path: '/signup', status: 200 },
  { path: '/signup/verify?flow=x', status: 200 },
  { path: '/signin', status: 200 },
  { path: '/password/forgot', status: 200 },
  { path: '/password/reset?token=bad', status: 410 },
  { path: '/invitations/accept?token=bad', status: 410 },
  { path: '/no-such-page', status: 404 },
];

const SIGNED_IN_PAGES: Visit[] = [
  { path: '/', status: 200 },
  { path: '/account', status: 200 },
  { path: '/console', status: 200 },
  { path: SLUG, status: 200 },
  { path: `${SLUG}/members`, status: 200 },
  { path: `${SLUG}/settings`, status: 200 },
  { path: `${SLUG}/api-keys`, status: 200 },
  { path: `${SLUG}/audit`, status: 200 },
  { path: '/admin/outbox', status: 200 },
  // '/admin/outbox/:id' is added once a message exists (see beforeAll).
  { path: '/console/no-such-org', status: 404 },
  { path: '/no-such-page', status: 404 },
];

describe('accessibility and security headers (sqlite)', () => {
  let server: RunningServer;
  let browser: E2EBrowser;
  let outboxMessagePath = '';
  const headerProblems = new Set<string>();
  let htmlResponses = 0;

  /** Checks the security headers of every HTML response a context receives (pages, form answers, errors). */
  function watchHeaders(context: BrowserContext): void {
    context.on('response', (response) => {
      if (!isHtml(response)) return;
      htmlResponses++;
      void securityHeaderProblems(response).then((problems) => problems.forEach((p) => headerProblems.add(p)), () => undefined);
    });
  }

  /** CSP violations reported by the page itself (an inline script or style the policy refuses). */
  function watchConsole(page: Page, sink: string[]): void {
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) sink.push(`${page.url()}: ${msg.text()}`);
    });
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser({ locale: 'fr-FR' });
    watchHeaders(browser.context);

    // One message in the outbox (a password-reset request for the admin) so that /admin/outbox/:id exists.
    const page = browser.page;
    await page.goto(`${server.url}/password/forgot`);
    await page.locator('form[action="/password/forgot"]').getByLabel('Adresse courriel').fill(DEMO_ADMIN_EMAIL);
    await page.locator('form[action="/password/forgot"]').getByRole('button').click();
    await page.getByRole('status').waitFor();
    await signInAsAdmin(page, server);
    await page.goto(`${server.url}/admin/outbox`);
    const href = await page.locator('main a[href^="/admin/outbox/"]').first().getAttribute('href');
    expect(href).toBeTruthy();
    outboxMessagePath = href!;
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(`${server.url}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Visit, check status and language, run axe; returns the serious/critical findings as text. */
  async function audit(page: Page, visit: Visit, lang: Lang, label = visit.path): Promise<string[]> {
    const response = await page.goto(`${server.url}${withLang(visit.path, lang)}`);
    expect(response, visit.path).toBeTruthy();
    expect(response!.status(), `${visit.path} (${lang})`).toBe(visit.status);
    expect(await page.locator('html').getAttribute('lang'), `${visit.path}: <html lang>`).toBe(lang);
    return check(page, `${label} [${lang}]`);
  }

  async function check(page: Page, label: string): Promise<string[]> {
    const violations = await runAxe(page);
    const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const other = violations.filter((v) => !blocking.includes(v));
    if (other.length) console.warn(`axe (minor/moderate, not failing):\n${formatViolations(label, other)}`);
    return blocking.length ? [formatViolations(label, blocking)] : [];
  }

  function assertClean(findings: string[], cspConsole: string[]): void {
    if (findings.length) console.error(`\naxe found serious/critical violations:\n${findings.join('\n')}\n`);
    expect(findings, `axe violations:\n${findings.join('\n')}`).toEqual([]);
    expect(cspConsole, 'the pages triggered CSP violations').toEqual([]);
  }

  it('axe really runs on these pages (a planted violation is caught)', async () => {
    const page = browser.page;
    await page.goto(`${server.url}/`);
    expect(await runAxe(page)).toEqual([]);
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = '/assets/favicon.svg';
      document.querySelector('main')!.append(img);
    });
    const violations = await runAxe(page);
    expect(violations.map((v) => [v.id, v.impact])).toContainEqual(['image-alt', 'critical']);
  });

  for (const lang of LANGS) {
    it(`public pages pass axe (${lang})`, async () => {
      const context = await browser.context.browser()!.newContext({ locale: lang === 'fr' ? 'fr-FR' : 'en-GB' });
      watchHeaders(context);
      const page = await context.newPage();
      const cspConsole: string[] = [];
      watchConsole(page, cspConsole);
      const findings: string[] = [];
      try {
        for (const visit of PUBLIC_PAGES) findings.push(...(await audit(page, visit, lang)));

        // Pages in their error states: a refused sign-in and a sign-up form with field errors.
        await page.goto(`${server.url}${withLang('/signin', lang)}`);
        await page.locator('#f-email').fill('nobody@example.org');
        await page.locator('#f-password').fill('not the password');
        await page.locator('form[action="/signin"] button[type="submit"]').click();
        await page.getByRole('alert').waitFor();
        findings.push(...(await check(page, `/signin refused [${lang}]`)));

        await page.goto(`${server.url}${withLang('/signup', lang)}`);
        await page.locator('#f-email').fill('not-an-address');
        await page.locator('#f-password').fill('short');
        await page.locator('form[action="/signup"] button[type="submit"]').click();
        await page.getByRole('alert').waitFor();
        expect(await page.locator('[aria-invalid="true"]').count()).toBeGreaterThan(0);
        findings.push(...(await check(page, `/signup with errors [${lang}]`)));

        await page.goto(`${server.url}${withLang('/password/forgot', lang)}`);
        await page.locator('#f-email').fill('nobody@example.org');
        await page.locator('form[action="/password/forgot"] button[type="submit"]').click();
        await page.getByRole('status').waitFor();
        findings.push(...(await check(page, `/password/forgot sent [${lang}]`)));
      } finally {
        await context.close();
      }
      assertClean(findings, cspConsole);
    });

    it(`signed-in pages pass axe (${lang})`, async () => {
      const context = await browser.context.browser()!.newContext({ locale: lang === 'fr' ? 'fr-FR' : 'en-GB' });
      watchHeaders(context);
      const page = await context.newPage();
      const cspConsole: string[] = [];
      watchConsole(page, cspConsole);
      const findings: string[] = [];
      try {
        await signInAsAdmin(page, server, lang);
        for (const visit of [...SIGNED_IN_PAGES, { path: outboxMessagePath, status: 200 }]) {
          findings.push(...(await audit(page, visit, lang, visit.path === outboxMessagePath ? '/admin/outbox/:id' : visit.path)));
        }

        // Members with a pending invitation (second table, revoke buttons) and a notice.
        await page.goto(`${server.url}${withLang(`${SLUG}/members`, lang)}`);
        const invite = page.locator(`form[action="${SLUG}/invitations"]`);
        await invite.locator('#f-email').fill(`a11y-${lang}@example.org`);
        await invite.locator('button[type="submit"]').click();
        await page.getByRole('status').waitFor();
        findings.push(...(await check(page, `${SLUG}/members after an invitation [${lang}]`)));

        // API keys with a newly created key shown once, and its row in the table.
        await page.goto(`${server.url}${withLang(`${SLUG}/api-keys`, lang)}`);
        const newKey = page.locator(`form[action="${SLUG}/api-keys"]`);
        await newKey.locator('#f-label').fill(`a11y ${lang}`);
        await newKey.locator('button[type="submit"]').click();
        await page.locator('code.secret').waitFor();
        findings.push(...(await check(page, `${SLUG}/api-keys with a new key [${lang}]`)));

        // The account page after adding an address: the code form.
        await page.goto(`${server.url}${withLang('/account', lang)}`);
        const addEmail = page.locator('form[action="/account/emails"]');
        await addEmail.locator('#f-email').fill(`second-${lang}@example.org`);
        await addEmail.locator('#f-password').fill(server.adminPassword);
        await addEmail.locator('button[type="submit"]').click();
        await page.locator('form[action="/account/emails/verify"]').waitFor();
        findings.push(...(await check(page, `/account waiting for a code [${lang}]`)));
      } finally {
        await context.close();
      }
      assertClean(findings, cspConsole);
    });
  }

  it('every HTML response had a CSP without unsafe-inline in script-src, and nosniff', async () => {
    // Also the assets and the JSON health answer carry nosniff.
    for (const p of ['/assets/app.css', '/health']) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.headers.get('x-content-type-options'), p).toBe('nosniff');
    }
    // Let the last response listeners settle.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(htmlResponses).toBeGreaterThan(5);
    expect([...headerProblems]).toEqual([]);
  });

  it('public pages and signing in work with JavaScript disabled', async () => {
    const noJs = await launchBrowser({ locale: 'fr-FR', javaScriptEnabled: false });
    try {
      const page = noJs.page;
      // Prove JavaScript really is off in this browser.
      await page.goto(`${server.url}/`);
      expect(await page.evaluate(() => document.querySelectorAll('script').length)).toBe(0);

      for (const [path, title] of [['/', 'Sceau'], ['/signup', 'Créer un compte'], ['/password/forgot', 'Mot de passe oublié'], ['/signin', 'Se connecter']] as const) {
        const res = await page.goto(`${server.url}${path}`);
        expect(res?.status(), path).toBe(200);
        expect(await page.getByRole('heading', { level: 1 }).innerText(), path).toContain(title);
      }

      // Forms post and redirect as plain HTML.
      const form = page.locator('form[action="/signin"]');
      await form.getByLabel('Adresse courriel').fill(DEMO_ADMIN_EMAIL);
      await form.getByLabel('Mot de passe').fill(server.adminPassword);
      await form.getByRole('button', { name: 'Se connecter' }).click();
      await page.waitForURL(`${server.url}/console`);
      await page.getByRole('link', { name: DEMO_ORG_NAME, exact: true }).click();
      await page.waitForURL(`${server.url}${SLUG}`);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(DEMO_ORG_NAME);

      // The language switch is a plain link.
      await page.getByRole('link', { name: 'English' }).click();
      await page.waitForURL(`${server.url}${SLUG}?lang=en`);
      expect(await page.locator('main .meta').innerText()).toContain('Your role');

      // Signing out is a plain form too.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${server.url}/`);
      expect(await page.getByRole('link', { name: 'Sign in' }).first().isVisible()).toBe(true);
    } finally {
      await noJs.close();
    }
  });
});
