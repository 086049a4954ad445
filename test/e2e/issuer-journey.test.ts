/**
 * The issue-5 journey, in a real browser against a real server (SQLite, and PostgreSQL when the test run has one):
 * the demo admin signs in → creates a template with a required "note" field through the editor → uploads a
 * 50-row CSV with 2 bad rows → reads the row report (both line numbers) → fixes both rows → publishes → the progress
 * bar, fed by server-sent events, reaches 100 % → 50 credential e-mails in the outbox → one link, opened without
 * a session, shows the credential → "Vérifier maintenant": every verification step passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialects } from '../support/db.js';
import {
  createTemplateThroughForm,
  holderLinkOfMail,
  progressValues,
  recipientsCsv,
  recordProgressValues,
  SLUG_PATH,
  uploadBulkFile,
  waitForOutbox,
} from './issuer-support.js';
import { DEMO_ORG_NAME, type E2EBrowser, type RunningServer, signInAsAdmin, startE2E, step } from './support.js';

const TEMPLATE = {
  nameFr: 'Certificat de secourisme',
  descriptionFr: 'Formation de 14 heures aux gestes de premiers secours.',
  criteriaFr: 'Avoir suivi toute la formation et réussi l’évaluation pratique.',
  field: { key: 'note', labelFr: 'Note obtenue', type: 'grade' as const, required: true },
};
const ROWS = 50;
const BAD_EMAIL_LINE = 13; // recipient 12
const MISSING_NOTE_LINE = 38; // recipient 37
const SUBJECT = `${DEMO_ORG_NAME} vous a décerné : ${TEMPLATE.nameFr}`;

for (const dialect of testDialects()) {
  describe(`issuer journey on ${dialect}`, () => {
    let server: RunningServer | undefined, browser: E2EBrowser | undefined;
    let stop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ server, browser, stop } = await startE2E(dialect, { locale: 'fr-FR' }));
    });

    afterAll(async () => {
      await stop?.();
    });

    it('template → 50-row CSV with 2 bad rows → fixes → publish → progress 100 % → e-mails → the link verifies', async () => {
      const page = browser!.page;
      const base = server!.url;
      await recordProgressValues(page);
      let templateId = '';
      let jobId = '';
      let holderLink = '';

      await step(page, 'sign in as the demo admin', async () => {
        await signInAsAdmin(page, server!);
        await page.getByRole('link', { name: DEMO_ORG_NAME, exact: true }).click();
        await page.waitForURL(`${base}${SLUG_PATH}`);
      });

      await step(page, 'Modèles tab: create a template with a required grade field', async () => {
        await page.getByRole('navigation', { name: DEMO_ORG_NAME }).getByRole('link', { name: 'Modèles' }).click();
        await page.waitForURL(`${base}${SLUG_PATH}/templates`);
        expect(await page.getByRole('heading', { level: 2 }).first().innerText()).toBe('Modèles d’attestation');
        templateId = await createTemplateThroughForm(page, base, TEMPLATE);
        expect(await page.getByRole('status').first().innerText()).toContain('Modèle créé.');
        expect(await page.getByRole('heading', { level: 2 }).first().innerText()).toBe(TEMPLATE.nameFr);
        // The editor shows the saved field, and the preview the card for the sample recipient.
        expect(await page.locator('[id="f-fields.0.key"]').inputValue()).toBe('note');
        expect(await page.locator('[id="f-fields.0.type"]').inputValue()).toBe('grade');
        expect(await page.locator('[id="f-fields.0.required"]').isChecked()).toBe(true);
        const preview = page.locator('#template-preview .credential-card');
        expect(await preview.locator('.credential-card-title').innerText()).toBe(TEMPLATE.nameFr);
        expect(await preview.innerText()).toContain('Note obtenue');
        // …and it is listed.
        await page.getByRole('navigation', { name: DEMO_ORG_NAME }).getByRole('link', { name: 'Modèles' }).click();
        await page.waitForURL(`${base}${SLUG_PATH}/templates`);
        expect(await page.locator('main tbody').innerText()).toContain(TEMPLATE.nameFr);
      });

      await step(page, 'Émission en lot: upload a 50-row CSV with 2 bad rows', async () => {
        await page.getByRole('navigation', { name: DEMO_ORG_NAME }).getByRole('link', { name: 'Émission en lot' }).click();
        await page.waitForURL(`${base}${SLUG_PATH}/bulk`);
        expect(await page.getByRole('heading', { level: 2 }).first().innerText()).toBe('Émission en lot');
        const csv = recipientsCsv(ROWS, { badEmailLine: BAD_EMAIL_LINE, missingNoteLine: MISSING_NOTE_LINE });
        expect(csv.trim().split('\n')).toHaveLength(ROWS + 1);
        jobId = await uploadBulkFile(page, base, TEMPLATE.nameFr, csv);
        expect(jobId).toBeTruthy();
      });

      await step(page, 'the columns were recognised and the row report names both lines', async () => {
        expect(await page.locator('[id="f-map-0"]').inputValue()).toBe('name');
        expect(await page.locator('[id="f-map-1"]').inputValue()).toBe('email');
        expect(await page.locator('[id="f-map-2"]').inputValue()).toBe('field:note');
        expect(await page.locator('main p[role="status"]').innerText()).toBe(`48 valides, 2 invalides, 0 exclue sur ${ROWS} lignes.`);
        const report = page.locator('ol.row-report > li');
        expect(await report.count()).toBe(2);
        const badEmail = page.locator(`#row-${BAD_EMAIL_LINE}`);
        expect(await badEmail.getByRole('heading', { level: 4 }).innerText()).toBe(`Ligne ${BAD_EMAIL_LINE}`);
        expect(await badEmail.locator('ul.errors').innerText()).toContain('Courriel\u00a0: Cette adresse courriel n’est pas valide.');
        const missing = page.locator(`#row-${MISSING_NOTE_LINE}`);
        expect(await missing.getByRole('heading', { level: 4 }).innerText()).toBe(`Ligne ${MISSING_NOTE_LINE}`);
        expect(await missing.locator('ul.errors').innerText()).toContain('Note obtenue\u00a0: Valeur obligatoire manquante.');
        // Nothing can be published while a row is invalid.
        expect(await page.getByRole('button', { name: /^Publier/ }).count()).toBe(0);
        expect(await page.locator('main').innerText()).toContain('La publication est bloquée : 2 lignes invalides.');
      });

      await step(page, 'fix the bad e-mail address in its form', async () => {
        const row = page.locator(`#row-${BAD_EMAIL_LINE}`);
        const input = row.getByLabel('Courriel');
        expect(await input.getAttribute('aria-invalid')).toBe('true');
        expect(await input.inputValue()).toBe('personne12.lot-at-example.org');
        // The field is described by the line's problems, and the button names its line.
        expect(await input.getAttribute('aria-describedby')).toBe(`row-${BAD_EMAIL_LINE}-errors`);
        await input.fill('personne12.lot@example.org');
        await page.getByRole('button', { name: `Corriger la ligne (Ligne ${BAD_EMAIL_LINE})`, exact: true }).click();
        await page.waitForURL((u) => u.pathname === `${SLUG_PATH}/bulk/${jobId}` && u.searchParams.get('done') === 'fixed');
        expect(await page.getByRole('status').first().innerText()).toContain('Ligne corrigée.');
        expect(await page.locator(`#row-${BAD_EMAIL_LINE}`).count()).toBe(0);
        expect(await page.locator('ol.row-report > li').count()).toBe(1);
      });

      await step(page, 'fix the missing note in its form', async () => {
        const row = page.locator(`#row-${MISSING_NOTE_LINE}`);
        const input = row.getByLabel('Note obtenue');
        expect(await input.getAttribute('aria-invalid')).toBe('true');
        await input.fill('B+');
        await page.getByRole('button', { name: `Corriger la ligne (Ligne ${MISSING_NOTE_LINE})`, exact: true }).click();
        await page.waitForURL((u) => u.pathname === `${SLUG_PATH}/bulk/${jobId}` && u.searchParams.get('done') === 'fixed');
        expect(await page.locator('ol.row-report').count()).toBe(0);
        expect(await page.locator('main p[role="status"]').innerText()).toBe(`${ROWS} valides, 0 invalide, 0 exclue sur ${ROWS} lignes.`);
      });

      await step(page, 'publish and watch the progress bar reach 100 %', async () => {
        const events: string[] = [];
        page.on('response', (r) => {
          if (r.url().endsWith(`/bulk/${jobId}/events`)) events.push(`${r.status()} ${r.headers()['content-type']}`);
        });
        await page.getByRole('button', { name: `Publier ${ROWS} attestations` }).click();
        await page.waitForURL(`${base}${SLUG_PATH}/bulk/${jobId}`);
        // The live page: queued or running, its bar fed by the server-sent events (the worker needs a moment to
        // pick the job up, so the page always renders before the job is done).
        expect(await page.locator('#bulk-progress').count(), 'the job page right after publishing shows the live progress').toBe(1);
        expect(await page.getByRole('heading', { name: 'Émission en cours', level: 3 }).isVisible()).toBe(true);
        expect(await page.getByRole('progressbar', { name: 'Émission en cours' }).count()).toBe(1);
        // bulk-progress.js reloads the page when the events say "completed".
        await page.getByRole('heading', { name: 'Émission terminée', level: 3 }).waitFor({ timeout: 90_000 });
        const seen = await progressValues(page);
        if (process.env.E2E_VERBOSE) console.log(`    bar values from the events: ${seen.join(', ')}`);
        expect(events.length, 'the page followed the server-sent events').toBeGreaterThan(0);
        expect(events[0]).toMatch(/^200 text\/event-stream/);
        expect(seen.at(-1), `values the bar took: ${seen.join(', ')}`).toBe(100);
        for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
        // The completed state.
        expect(await page.getByRole('progressbar', { name: 'Émission terminée' }).count()).toBe(1);
        expect(await page.locator('main progress').getAttribute('value')).toBe('100');
        expect(await page.locator('main progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(100);
        expect(await page.locator('main p[role="status"]').innerText()).toContain(`${ROWS} attestations émises, 0 échec, 0 ligne exclue.`);
        // The two fixed rows were issued with their corrected values.
        const results = page.locator('main table').last();
        expect(await results.locator('tbody tr').count()).toBe(ROWS);
        expect(await results.locator('tbody tr', { hasText: 'personne12.lot@example.org' }).innerText()).toContain('émise');
      });

      await step(page, 'the outbox holds the 50 credential e-mails', async () => {
        const mails = await waitForOutbox(page, base, SUBJECT, ROWS);
        expect(mails).toHaveLength(ROWS);
        const recipients = await page.locator('main tbody tr', { hasText: SUBJECT }).locator('td:nth-child(2)').allInnerTexts();
        expect(new Set(recipients).size).toBe(ROWS);
        expect(recipients).toContain('personne12.lot@example.org');
        expect(recipients).toContain('personne37.lot@example.org');
        // Open the mail of the row whose note was fixed.
        await page.locator('main tbody tr', { hasText: 'personne37.lot@example.org' }).getByRole('link', { name: SUBJECT }).click();
        await page.waitForURL(/\/admin\/outbox\/[^/?]+$/);
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(SUBJECT);
        expect(await page.locator('pre.mail').innerText()).toContain('Bonjour Personne 37 Test,');
        holderLink = await holderLinkOfMail(page, base);
      });

      const visitor = await browser!.context.browser()!.newContext({ locale: 'fr-FR' });
      const holder = await visitor.newPage();
      try {
        await step(holder, 'open the link in a fresh browser context (no session): the credential card', async () => {
          expect((await visitor.cookies()).length).toBe(0);
          const res = await holder.goto(holderLink);
          expect(res?.status()).toBe(200);
          expect(res?.headers()['cache-control']).toBe('no-store');
          expect(await holder.getByRole('heading', { level: 1 }).innerText()).toBe('Attestation décernée à Personne 37 Test');
          const card = holder.locator('article.credential-card');
          expect(await card.locator('.credential-card-title').innerText()).toBe(TEMPLATE.nameFr);
          expect(await card.getAttribute('data-status')).toBe('active');
          const text = await card.innerText();
          expect(text).toContain('Personne 37 Test');
          expect(text).toContain(DEMO_ORG_NAME);
          expect(text).toContain(TEMPLATE.criteriaFr);
          expect(await card.locator('.credential-card-fields').innerText()).toMatch(/Note obtenue\s*B\+/);
          // Not signed in: the page offers an account, not the sign-out button.
          expect(await holder.getByRole('button', { name: 'Se déconnecter' }).count()).toBe(0);
        });

        await step(holder, '"Vérifier maintenant": every step passes', async () => {
          await holder.getByRole('link', { name: 'Vérifier maintenant' }).click();
          await holder.waitForURL((u) => u.pathname.endsWith('/verification') && u.searchParams.has('t'));
          expect(await holder.getByRole('heading', { level: 1 }).innerText()).toBe('Vérification');
          const verdict = holder.locator('main [data-verified]');
          expect(await verdict.getAttribute('data-verified')).toBe('true');
          expect(await verdict.innerText()).toBe('Attestation vérifiée');
          const steps = holder.locator('table.verification-steps tbody tr');
          const n = await steps.count();
          expect(n).toBeGreaterThanOrEqual(3);
          expect(await holder.locator('table.verification-steps tr.step-failed').count()).toBe(0);
          expect(await steps.locator('.tag-ok').allInnerTexts()).toEqual(Array.from({ length: n }, () => 'Réussie'));
          const ids = await steps.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step')));
          if (process.env.E2E_VERBOSE) console.log(`    steps: ${ids.join(', ')}`);
          expect(ids).toContain('valid_signature');
          // Back to the credential, still without an account.
          await holder.getByRole('link', { name: 'Retour à l’attestation' }).first().click();
          await holder.waitForURL(holderLink);
        });

        await step(holder, 'a wrong token opens nothing', async () => {
          const wrong = holderLink.replace(/t=[^&]+/, 't=not-the-token');
          const res = await holder.goto(wrong);
          expect(res?.status()).toBe(404);
          expect(await holder.locator('article.credential-card').count()).toBe(0);
        });
      } finally {
        await visitor.close();
      }

      await step(page, 'the console shows the credential as delivered and opened', async () => {
        await page.goto(`${base}${SLUG_PATH}/credentials?q=personne37.lot%40example.org`);
        const row = page.locator('main table.credentials tbody tr');
        expect(await row.count()).toBe(1);
        expect(await row.innerText()).toContain('Personne 37 Test');
        expect(await row.locator('.mail-local').innerText()).toBe('Conservé localement (aucun serveur de courriel configuré)');
        await row.getByRole('link', { name: 'Personne 37 Test' }).click();
        await page.waitForURL(new RegExp(`${SLUG_PATH}/credentials/[^/?]+$`));
        const detail = await page.locator('main').innerText();
        expect(detail).toContain(TEMPLATE.nameFr);
        expect(detail).toMatch(/Ouvert le \d/);
        // Issued from version 1 of the template created above.
        expect(await page.locator('main dl.facts').first().innerText()).toContain(TEMPLATE.nameFr);
        await page.goto(`${base}${SLUG_PATH}/credentials?template=${templateId}`);
        expect(await page.locator('main').innerText()).toContain(`${ROWS} attestations au total`);
      });
    });
  });
}
