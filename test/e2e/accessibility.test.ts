/**
 * Every page of the app, in French and English, in Chromium against a real server (SQLite):
 * - axe-core (WCAG 2.0/2.1 A and AA): no `serious` or `critical` violation;
 * - every HTML response carries a CSP whose script-src has no 'unsafe-inline', and X-Content-Type-Options: nosniff;
 * - the public pages and signing in work with JavaScript disabled.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_ORG_NAME,
  type E2EBrowser,
  formatViolations,
  isHtml,
  launchBrowser,
  type RunningServer,
  runAxe,
  securityHeaderProblems,
  signInAsAdmin,
  startServer,
  withLang,
} from './support.js';
import {
  createTemplateThroughForm,
  holderLinkOfMail,
  publishAndWaitForCompletion,
  recipientsCsv,
  SLUG_PATH,
  uploadBulkFile,
  waitForOutbox,
} from './issuer-support.js';

type Lang = 'fr' | 'en';
const LANGS: Lang[] = ['fr', 'en'];

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
  { path: SLUG_PATH, status: 200 },
  { path: `${SLUG_PATH}/members`, status: 200 },
  { path: `${SLUG_PATH}/settings`, status: 200 },
  { path: `${SLUG_PATH}/api-keys`, status: 200 },
  { path: `${SLUG_PATH}/audit`, status: 200 },
  { path: '/admin/outbox', status: 200 },
  // '/admin/outbox/:id' is added once a message exists (see beforeAll).
  { path: '/console/no-such-org', status: 404 },
  { path: '/no-such-page', status: 404 },
];

/** A small SVG (the server rasterises it to PNG) for the images page and the template's artwork. */
const BADGE_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">' +
  '<circle cx="120" cy="120" r="110" fill="#1f4e8c"/><path d="M70 125l35 35 65-75" stroke="#fff" stroke-width="18" fill="none"/></svg>';
const A11Y_TEMPLATE = {
  nameFr: 'Attestation de réussite',
  descriptionFr: 'Réussite de l’examen final du programme.',
  criteriaFr: 'Obtenir au moins 60 à l’examen final.',
  field: { key: 'note', labelFr: 'Note', type: 'grade' as const, required: true },
};

/**
 * The issue-5 pages, with content, created through the console as the (signed-in, French) demo admin: an image, a
 * template using it, its automatic-issuance rules, a draft bulk job with invalid rows, a completed job (its
 * credentials, their e-mails and a holder link), a webhook and a results import. Returns the pages to audit.
 */
async function seedIssuerPages(page: Page, base: string): Promise<{ signedIn: Visit[]; labels: Map<string, string>; holderLink: string }> {
  const labels = new Map<string, string>();

  // Images: upload one (SVG → PNG).
  await page.goto(`${base}${SLUG_PATH}/images`);
  await page.getByLabel('Fichier image').setInputFiles({ name: 'badge.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(BADGE_SVG) });
  await page.getByRole('button', { name: 'Ajouter une image' }).click();
  await page.getByRole('status').waitFor();
  expect(await page.locator('main tbody tr').count()).toBe(1);

  // A template (real form), then give it the image.
  const templateId = await createTemplateThroughForm(page, base, A11Y_TEMPLATE);
  const editor = page.locator(`form[action="${SLUG_PATH}/templates/${templateId}"]`);
  await editor.getByLabel('Image', { exact: true }).selectOption({ index: 1 });
  await editor.getByRole('button', { name: 'Enregistrer' }).first().click();
  await page.waitForURL((u) => u.searchParams.get('done') === 'saved');
  const templatePath = `${SLUG_PATH}/templates/${templateId}`;

  // Rules: issue automatically two days after a passed "examen-final" (so imported results stay pending).
  await page.goto(`${base}${templatePath}/rules`);
  await page.getByLabel('Émettre automatiquement à partir des résultats').check();
  await page.getByLabel('Activités requises').fill('examen-final');
  await page.getByLabel('Délai avant l’émission (minutes)').fill('2880');
  await page.getByRole('button', { name: 'Enregistrer les règles' }).click();
  await page.waitForURL((u) => u.searchParams.get('done') === 'saved');

  // A webhook (job.completed only), before the completed job so that the delivery log has a line.
  await page.goto(`${base}${SLUG_PATH}/webhooks`);
  await page.getByLabel('Adresse (https://)').fill('https://example.org/sceau-hook');
  await page.getByRole('checkbox', { name: /job\.completed/ }).check();
  await page.getByRole('button', { name: 'Ajouter le webhook' }).click();
  await page.locator('code.secret').waitFor();

  // A draft job whose report lists two invalid rows (fix forms).
  const draftId = await uploadBulkFile(page, base, A11Y_TEMPLATE.nameFr, recipientsCsv(6, { badEmailLine: 3, missingNoteLine: 5, tag: 'brouillon' }));
  expect(await page.locator('ol.row-report > li').count()).toBe(2);

  // A completed job: three credentials, their e-mails, a holder link.
  const doneId = await uploadBulkFile(page, base, A11Y_TEMPLATE.nameFr, recipientsCsv(3, { tag: 'fini' }));
  await publishAndWaitForCompletion(page, 3);
  // The console detail of recipient 02 (suspended/reactivated below); the holder link of recipient 01 (stays active).
  const credentialHref = await page
    .locator('main tbody tr', { hasText: 'personne02.fini@example.org' })
    .locator(`a[href^="${SLUG_PATH}/credentials/"]`)
    .getAttribute('href');
  expect(credentialHref).toBeTruthy();
  const subject = `${DEMO_ORG_NAME} vous a décerné : ${A11Y_TEMPLATE.nameFr}`;
  await waitForOutbox(page, base, subject, 3);
  await page.locator('main tbody tr', { hasText: 'personne01.fini@example.org' }).getByRole('link', { name: subject }).click();
  await page.waitForURL(/\/admin\/outbox\/[^/?]+$/);
  const holderLink = await holderLinkOfMail(page, base);

  const signedIn: Visit[] = [
    { path: `${SLUG_PATH}/templates`, status: 200 },
    { path: `${SLUG_PATH}/templates?status=archived`, status: 200 },
    { path: `${SLUG_PATH}/templates/new`, status: 200 },
    { path: templatePath, status: 200 },
    { path: `${templatePath}/issue`, status: 200 },
    { path: `${templatePath}/rules`, status: 200 },
    { path: `${SLUG_PATH}/bulk`, status: 200 },
    { path: `${SLUG_PATH}/bulk/${draftId}`, status: 200 },
    { path: `${SLUG_PATH}/bulk/${doneId}`, status: 200 },
    { path: `${SLUG_PATH}/credentials`, status: 200 },
    { path: credentialHref!, status: 200 },
    { path: `${SLUG_PATH}/analytics`, status: 200 },
    { path: `${SLUG_PATH}/results`, status: 200 },
    { path: `${SLUG_PATH}/webhooks`, status: 200 },
    { path: `${SLUG_PATH}/images`, status: 200 },
    { path: '/account/credentials', status: 200 },
  ];
  labels.set(templatePath, `${SLUG_PATH}/templates/:id (editor)`);
  labels.set(`${templatePath}/issue`, `${SLUG_PATH}/templates/:id/issue`);
  labels.set(`${templatePath}/rules`, `${SLUG_PATH}/templates/:id/rules`);
  labels.set(`${SLUG_PATH}/bulk/${draftId}`, `${SLUG_PATH}/bulk/:id (draft, 2 invalid rows)`);
  labels.set(`${SLUG_PATH}/bulk/${doneId}`, `${SLUG_PATH}/bulk/:id (completed)`);
  labels.set(credentialHref!, `${SLUG_PATH}/credentials/:id`);
  return { signedIn, labels, holderLink: holderLink.slice(base.length) };
}

/** Rows of the job audited while it runs: enough to take a few seconds on this machine. */
const RUNNING_ROWS = 400;

describe('accessibility and security headers (sqlite)', () => {
  let server: RunningServer, browser: E2EBrowser;
  let outboxMessagePath = '';
  let issuerPages: Visit[] = [];
  let pageLabels = new Map<string, string>();
  /** `/c/<id>?t=<token>` of one credential issued in bulk. */
  let holderPath = '';
  const headerProblems = new Set<string>();
  let htmlResponses = 0;

  /** Checks the security headers of every HTML response a context receives (pages, form answers, errors). */
  function watchHeaders(context: BrowserContext): void {
    context.on('response', (response) => {
      if (!isHtml(response)) return;
      htmlResponses++;
      void securityHeaderProblems(response).then(
        (problems) => problems.forEach((p) => headerProblems.add(p)),
        () => undefined,
      );
    });
  }

  /** CSP violations reported by the page itself (an inline script or style the policy refuses). */
  function watchConsole(page: Page, sink: string[]): void {
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) sink.push(`${page.url()}: ${msg.text()}`);
    });
  }

  /** A new browser context in `lang` whose HTML responses (headers) and console (CSP) are watched. */
  async function watchedPage(lang: Lang): Promise<{ context: BrowserContext; page: Page; cspConsole: string[] }> {
    const context = await browser.context.browser()!.newContext({ locale: lang === 'fr' ? 'fr-FR' : 'en-GB' });
    watchHeaders(context);
    const page = await context.newPage();
    const cspConsole: string[] = [];
    watchConsole(page, cspConsole);
    return { context, page, cspConsole };
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
    const seeded = await seedIssuerPages(page, server.url);
    issuerPages = seeded.signedIn;
    pageLabels = seeded.labels;
    holderPath = seeded.holderLink;
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
    if (process.env.E2E_VERBOSE) console.log(`  axe ${label}: ${violations.length ? violations.map((v) => `${v.id} (${v.impact})`).join(', ') : 'clean'}`);
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
      const { context, page, cspConsole } = await watchedPage(lang);
      const findings: string[] = [];
      try {
        for (const visit of PUBLIC_PAGES) findings.push(...(await audit(page, visit, lang)));

        // The holder's link (no account, no session), its verification, and a wrong token.
        findings.push(...(await audit(page, { path: holderPath, status: 200 }, lang, '/c/:id?t=…')));
        expect(await page.locator('article.credential-card').count()).toBe(1);
        await page.locator('main a[href*="/verification"]').first().click();
        await page.waitForURL((u) => u.pathname.endsWith('/verification'));
        expect(await page.locator('main [data-verified]').getAttribute('data-verified')).toBe('true');
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        findings.push(...(await check(page, `/c/:id/verification [${lang}]`)));
        findings.push(...(await audit(page, { path: holderPath.replace(/t=[^&]+/, 't=wrong'), status: 404 }, lang, '/c/:id?t=wrong')));

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
      const { context, page, cspConsole } = await watchedPage(lang);
      const findings: string[] = [];
      try {
        await signInAsAdmin(page, server, lang);
        for (const visit of [...SIGNED_IN_PAGES, { path: outboxMessagePath, status: 200 }, ...issuerPages]) {
          findings.push(
            ...(await audit(page, visit, lang, visit.path === outboxMessagePath ? '/admin/outbox/:id' : (pageLabels.get(visit.path) ?? visit.path))),
          );
        }

        // The template editor refusing an empty template (error summary, fields marked invalid).
        await page.goto(`${server.url}${withLang(`${SLUG_PATH}/templates/new`, lang)}`);
        await page.locator(`form[action="${SLUG_PATH}/templates"] .actions button[type="submit"]`).first().click();
        await page.locator('[aria-invalid="true"]').first().waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/templates/new with errors [${lang}]`)));

        // The one-off issuance form with errors.
        const issuePath = issuerPages.find((v) => v.path.endsWith('/issue'))!.path;
        await page.goto(`${server.url}${withLang(issuePath, lang)}`);
        await page.locator('#f-email').fill('not-an-address');
        // The server's answer is what is audited: skip the browser's own checks (required, type=email).
        await page.locator(`form[action="${issuePath}"]`).evaluate((f) => {
          (f as HTMLFormElement).noValidate = true;
        });
        await page.locator(`form[action="${issuePath}"] button[type="submit"]`).click();
        await page.locator('[aria-invalid="true"]').first().waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/templates/:id/issue with errors [${lang}]`)));

        // The bulk page refusing a file it cannot read.
        await page.goto(`${server.url}${withLang(`${SLUG_PATH}/bulk`, lang)}`);
        await page.locator('#f-file').setInputFiles({ name: 'vide.csv', mimeType: 'text/csv', buffer: Buffer.from('nom,courriel\n') });
        await page.locator(`form[action="${SLUG_PATH}/bulk"] button[type="submit"]`).click();
        await page.getByRole('alert').first().waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/bulk with an upload error [${lang}]`)));

        // Results: an import (decisions, pending until the rules' delay), then a refused file (row report).
        const today = new Date().toISOString().slice(0, 10);
        const results =
          `courriel,nom,activité,note,réussi,date\n${DEMO_ADMIN_EMAIL},Admin Démo,examen-final,82,oui,${today}\n` +
          `echec-${lang}@example.org,Dominique Échec,examen-final,41,non,${today}\n`;
        await page.goto(`${server.url}${withLang(`${SLUG_PATH}/results`, lang)}`);
        await page.locator('#f-file').setInputFiles({ name: 'resultats.csv', mimeType: 'text/csv', buffer: Buffer.from(results) });
        await page.locator(`form[action="${SLUG_PATH}/results"] button[type="submit"]`).click();
        await page.getByRole('status').first().waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/results after an import [${lang}]`)));
        await page.locator('#f-file').setInputFiles({
          name: 'faux.csv',
          mimeType: 'text/csv',
          buffer: Buffer.from(`courriel,nom,activité,date\nnot-an-address,X,examen-final,${today}\n`),
        });
        await page.locator(`form[action="${SLUG_PATH}/results"] button[type="submit"]`).click();
        await page.locator('#h-report').waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/results with a row report [${lang}]`)));

        // The porte-document with a pending credential (the admin's own address above).
        await page.goto(`${server.url}${withLang('/account/credentials', lang)}`);
        findings.push(...(await check(page, `/account/credentials with a pending credential [${lang}]`)));

        // Webhooks with a new secret shown once.
        await page.goto(`${server.url}${withLang(`${SLUG_PATH}/webhooks`, lang)}`);
        await page.locator('#f-url').fill(`https://example.org/hook-${lang}`);
        await page.locator('input[name="events"][value="credential.revoked"]').check();
        await page.locator(`form[action="${SLUG_PATH}/webhooks"] button[type="submit"]`).click();
        await page.locator('code.secret').waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/webhooks with a new secret [${lang}]`)));

        // A credential suspended (then, in the other language, reactivated) with a reason: notice, history, status.
        const credentialPath = issuerPages.find((v) => /\/credentials\/[^/]+$/.test(v.path))!.path;
        await page.goto(`${server.url}${withLang(credentialPath, lang)}`);
        const action = (await page.locator('#f-reason-suspended').count()) ? 'suspended' : 'active';
        await page.locator(`#f-reason-${action}`).fill(`Vérification a11y (${lang})`);
        await page.locator(`#f-reason-${action}`).locator('xpath=ancestor::form').locator('button[type="submit"]').click();
        await page.getByRole('status').first().waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/credentials/:id after status → ${action} [${lang}]`)));

        // A job being issued: the live progress page. Its script is held back so that the page stays as the server
        // sent it (no reload when the job completes), and the file is large enough to still be running.
        await page.route('**/assets/bulk-progress.js', (route) => route.abort());
        try {
          const runningId = await uploadBulkFile(page, server.url, A11Y_TEMPLATE.nameFr, recipientsCsv(RUNNING_ROWS, { tag: `encours-${lang}` }));
          await page.getByRole('button', { name: `Publier ${RUNNING_ROWS} attestations` }).click();
          await page.waitForURL(`${server.url}${SLUG_PATH}/bulk/${runningId}`);
          await page.goto(`${server.url}${withLang(`${SLUG_PATH}/bulk/${runningId}`, lang)}`);
          expect(await page.locator('#bulk-progress').count(), 'the job was still queued or running').toBe(1);
          if (process.env.E2E_VERBOSE) console.log(`  running job when audited: ${await page.locator('#bulk-progress-text').innerText()}`);
          findings.push(...(await check(page, `${SLUG_PATH}/bulk/:id (queued or running) [${lang}]`)));
        } finally {
          await page.unroute('**/assets/bulk-progress.js');
        }

        // Members with a pending invitation (second table, revoke buttons) and a notice.
        await page.goto(`${server.url}${withLang(`${SLUG_PATH}/members`, lang)}`);
        const invite = page.locator(`form[action="${SLUG_PATH}/invitations"]`);
        await invite.locator('#f-email').fill(`a11y-${lang}@example.org`);
        await invite.locator('button[type="submit"]').click();
        await page.getByRole('status').waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/members after an invitation [${lang}]`)));

        // API keys with a newly created key shown once, and its row in the table.
        await page.goto(`${server.url}${withLang(`${SLUG_PATH}/api-keys`, lang)}`);
        const newKey = page.locator(`form[action="${SLUG_PATH}/api-keys"]`);
        await newKey.locator('#f-label').fill(`a11y ${lang}`);
        await newKey.locator('button[type="submit"]').click();
        await page.locator('code.secret').waitFor();
        findings.push(...(await check(page, `${SLUG_PATH}/api-keys with a new key [${lang}]`)));

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

      for (const [path, title] of [
        ['/', 'Sceau'],
        ['/signup', 'Créer un compte'],
        ['/password/forgot', 'Mot de passe oublié'],
        ['/signin', 'Se connecter'],
      ] as const) {
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
      await page.waitForURL(`${server.url}${SLUG_PATH}`);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(DEMO_ORG_NAME);

      // The language switch is a plain link.
      await page.getByRole('link', { name: 'English' }).click();
      await page.waitForURL(`${server.url}${SLUG_PATH}?lang=en`);
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
