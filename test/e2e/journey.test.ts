/**
 * The "Done when" journey, in a real browser against a real server, on SQLite and on PostgreSQL:
 * fresh start → demo admin signs in → invites a colleague as staff → reads the invitation in the outbox →
 * signs out → the colleague opens the link, creates an account and lands on the organisation → switches to English.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialects } from '../support/db.js';
import { DEMO_ADMIN_EMAIL, DEMO_ORG_NAME, DEMO_ORG_SLUG, type E2EBrowser, type RunningServer, startE2E, step } from './support.js';

const COLLEAGUE = { email: 'camille.dubois@institut-demo.example', name: 'Camille Dubois', password: 'Lanterne violette au bout du quai 42' };

for (const dialect of testDialects()) {
  describe(`journey on ${dialect}`, () => {
    let server: RunningServer | undefined, browser: E2EBrowser | undefined;
    let stop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      // A French-speaking visitor (the site's default language is French anyway).
      ({ server, browser, stop } = await startE2E(dialect, { locale: 'fr-FR' }));
    });

    afterAll(async () => {
      await stop?.();
    });

    it('invites a colleague who joins the organisation, then reads it in English', async () => {
      const page = browser!.page;
      const base = server!.url;
      let acceptUrl = '';

      await step(page, 'fresh start: the home page', async () => {
        const res = await page.goto(`${base}/`);
        expect(res?.status()).toBe(200);
        await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('fr');
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('attestations numériques vérifiables');
      });

      await step(page, 'sign in as the demo admin with the /signin form', async () => {
        await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Se connecter' }).click();
        await page.waitForURL(`${base}/signin`);
        const form = page.locator('form[action="/signin"]');
        await form.getByLabel('Adresse courriel').fill(DEMO_ADMIN_EMAIL);
        await form.getByLabel('Mot de passe').fill(server!.adminPassword);
        await form.getByRole('button', { name: 'Se connecter' }).click();
        await page.waitForURL(`${base}/console`);
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Organisations');
        expect(await page.getByRole('button', { name: 'Se déconnecter' }).isVisible()).toBe(true);
      });

      await step(page, 'open the organisation from /console', async () => {
        await page.getByRole('link', { name: DEMO_ORG_NAME, exact: true }).click();
        await page.waitForURL(`${base}/console/${DEMO_ORG_SLUG}`);
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(DEMO_ORG_NAME);
        expect(await page.locator('main .meta').innerText()).toContain('Administrateur');
      });

      await step(page, 'Members tab', async () => {
        await page.getByRole('navigation', { name: DEMO_ORG_NAME }).getByRole('link', { name: 'Membres' }).click();
        await page.waitForURL(`${base}/console/${DEMO_ORG_SLUG}/members`);
        const tab = page.getByRole('navigation', { name: DEMO_ORG_NAME }).getByRole('link', { name: 'Membres' });
        expect(await tab.getAttribute('aria-current')).toBe('page');
        expect(await page.locator('main table').first().innerText()).toContain(DEMO_ADMIN_EMAIL);
      });

      await step(page, 'invite a colleague as staff', async () => {
        const form = page.locator(`form[action="/console/${DEMO_ORG_SLUG}/invitations"]`);
        await form.getByLabel('Adresse courriel').fill(COLLEAGUE.email);
        await form.getByLabel('Rôle', { exact: true }).selectOption('staff');
        await form.getByRole('button', { name: 'Envoyer l’invitation' }).click();
        await page.waitForURL((u) => u.pathname === `/console/${DEMO_ORG_SLUG}/members` && u.searchParams.get('done') === 'invited');
        expect(await page.getByRole('status').innerText()).toBe(`Invitation envoyée à ${COLLEAGUE.email}.`);
        const pending = page.locator('main table').nth(1).locator('tbody tr', { hasText: COLLEAGUE.email });
        expect(await pending.innerText()).toContain('Personnel (émission)');
      });

      await step(page, 'read the invitation in the platform outbox', async () => {
        await page.getByRole('link', { name: 'Boîte d’envoi' }).click();
        await page.waitForURL(`${base}/admin/outbox`);
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Boîte d’envoi');
        const row = page.locator('main tbody tr', { hasText: COLLEAGUE.email });
        // The worker process delivers to the local outbox asynchronously: reload until it has.
        const deadline = Date.now() + 30_000;
        while (!(await row.count()) || !(await row.innerText()).includes('conservé localement')) {
          if (Date.now() > deadline) throw new Error(`the invitation was not delivered locally within 30 s: ${await page.locator('main').innerText()}`);
          await page.waitForTimeout(250);
          await page.reload();
        }
        await row.getByRole('link', { name: `Invitation à rejoindre ${DEMO_ORG_NAME} sur Sceau` }).click();
        await page.waitForURL(/\/admin\/outbox\/[^/?]+$/);
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(`Invitation à rejoindre ${DEMO_ORG_NAME} sur Sceau`);
        expect(await page.locator('dl.facts').innerText()).toContain(COLLEAGUE.email);
        expect(await page.locator('pre.mail').innerText()).toContain(
          `Admin Démo vous invite à rejoindre ${DEMO_ORG_NAME} sur Sceau en tant que Personnel (émission).`,
        );
        const link = page.locator('main a[href*="/invitations/accept?token="]');
        expect(await link.count()).toBe(1);
        acceptUrl = (await link.getAttribute('href'))!;
        expect(acceptUrl.startsWith(`${base}/invitations/accept?token=`)).toBe(true);
        expect(await page.locator('pre.mail').innerText()).toContain(acceptUrl);
      });

      await step(page, 'sign out', async () => {
        await page.getByRole('button', { name: 'Se déconnecter' }).click();
        await page.waitForURL(`${base}/`);
        expect(await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Se connecter' }).isVisible()).toBe(true);
        // The console is closed again: the sign-in form is what /console shows now.
        await page.goto(`${base}/console`);
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Se connecter');
        expect(await page.locator('form[action="/signin"]').count()).toBe(1);
      });

      await step(page, 'open the invitation link signed out', async () => {
        const res = await page.goto(acceptUrl);
        expect(res?.status()).toBe(200);
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Invitation');
        const main = await page.locator('main').innerText();
        expect(main).toContain(`Vous êtes invité·e à rejoindre ${DEMO_ORG_NAME} en tant que Personnel (émission).`);
        expect(main).toContain(COLLEAGUE.email);
      });

      await step(page, 'create the account: name and a strong password', async () => {
        const form = page.locator('form[action="/invitations/accept"]');
        await form.getByLabel('Nom complet').fill(COLLEAGUE.name);
        await form.getByLabel('Mot de passe').fill(COLLEAGUE.password);
        await form.getByRole('button', { name: 'Accepter l’invitation' }).click();
        await page.waitForURL(`${base}/console/${DEMO_ORG_SLUG}`);
      });

      await step(page, 'land on the organisation page with the new role', async () => {
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(DEMO_ORG_NAME);
        expect(await page.locator('main .meta').innerText()).toMatch(/Votre rôle\s*:\s*Personnel \(émission\)/);
        expect(await page.getByRole('button', { name: 'Se déconnecter' }).isVisible()).toBe(true);
        // A staff member has the issuing tabs, no admin tabs.
        const tabs = await page.getByRole('navigation', { name: DEMO_ORG_NAME }).getByRole('link').allInnerTexts();
        expect(tabs).toEqual(['Vue d’ensemble', 'Modèles', 'Attestations', 'Émission en lot', 'Résultats', 'Statistiques', 'Membres']);
      });

      await step(page, 'the invitation link cannot be used twice', async () => {
        const other = await browser!.context.newPage();
        const res = await other.goto(acceptUrl);
        expect(res?.status()).toBe(410);
        expect(await other.getByRole('alert').innerText()).toContain('Cette invitation a expiré, a déjà été acceptée ou a été révoquée');
        await other.close();
      });

      await step(page, 'switch the language to English', async () => {
        await page.getByRole('link', { name: 'English' }).click();
        await page.waitForURL(`${base}/console/${DEMO_ORG_SLUG}?lang=en`);
        await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('en');
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(DEMO_ORG_NAME);
        expect(await page.locator('main .meta').innerText()).toMatch(/Your role\s*:\s*Staff \(issuing\)/);
        const nav = page.getByRole('navigation', { name: 'Main navigation' });
        expect(await nav.getByRole('link', { name: 'My account' }).isVisible()).toBe(true);
        expect(await nav.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
        // The choice sticks on the next page (a cookie), without ?lang.
        await page.getByRole('navigation', { name: DEMO_ORG_NAME }).getByRole('link', { name: 'Members' }).click();
        await page.waitForURL(`${base}/console/${DEMO_ORG_SLUG}/members`);
        const member = page.locator('main tbody tr', { hasText: COLLEAGUE.name });
        expect(await member.innerText()).toContain('Staff (issuing)');
        expect(await member.innerText()).toContain(COLLEAGUE.email);
        // …and back to French.
        await page.getByRole('link', { name: 'Français' }).click();
        await page.waitForURL(`${base}/console/${DEMO_ORG_SLUG}/members?lang=fr`);
        await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('fr');
        expect(await page.getByRole('heading', { level: 2 }).first().innerText()).toBe('Membres');
      });
    });
  });
}
