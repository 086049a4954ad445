/**
 * The console overview (`/console/:slug`): the figures that matter (issued this month in the organisation's time zone,
 * pending bulk rows and delayed automatic issuances, failed credential e-mails, bulk jobs in progress) and, for a new
 * organisation, the next step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfMonth } from '../../src/domain/organizations/overview.js';
import { requireRecipient } from '../../src/domain/issuance/check-recipients.js';
import { issueBatch } from '../../src/domain/issuance/issue-batch.js';
import { createImport, publishJob } from '../../src/domain/issuance/import-spreadsheet.js';
import { receiveResults, saveTemplateRules, validateResults } from '../../src/domain/issuance/issue-from-results.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { fixedClock, testDialects } from '../support/db.js';
import { type World, csvOf, seedTemplateWorld } from './support.js';

/** The number shown for a figure (its label, then the linked number). */
function figure(body: string, label: string): number {
  const m = new RegExp(`<dt>${label}</dt><dd><a href="[^"]+">([\\d\\s\\u00a0\\u202f,]+)</a></dd>`).exec(body);
  if (!m) throw new Error(`no figure "${label}"`);
  return Number(m[1]!.replace(/[\s\u00a0\u202f,]/g, ''));
}

describe('month start in a time zone', () => {
  it('is local midnight on the 1st', () => {
    expect(startOfMonth(new Date('2026-12-07T16:21:09Z'), 'Europe/Paris').toISOString()).toBe('2026-11-30T23:00:00.000Z');
    expect(startOfMonth(new Date('2026-11-30T23:30:00Z'), 'Europe/Paris').toISOString()).toBe('2026-11-30T23:00:00.000Z');
    expect(startOfMonth(new Date('2026-11-30T22:30:00Z'), 'Europe/Paris').toISOString()).toBe('2026-10-31T23:00:00.000Z');
    expect(startOfMonth(new Date('2026-07-01T03:00:00Z'), 'America/Toronto').toISOString()).toBe('2026-06-01T04:00:00.000Z');
    expect(startOfMonth(new Date('2026-12-07T00:00:00Z'), 'UTC').toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
});

describe.each(testDialects())('console overview on %s', (dialect) => {
  let t: TestApp, w: World;

  beforeAll(async () => {
    t = await createTestApp({ dialect, clock: fixedClock(new Date('2026-11-30T22:30:00Z')) });
    w = await seedTemplateWorld(t);
  });
  afterAll(async () => t?.close());

  const issue = (emails: string[]) =>
    issueBatch(t.container.deps, w.actor, {
      org: w.org,
      template: w.template,
      version: w.template.version,
      recipients: emails.map((email) => requireRecipient(w.template.content, { name: email, email, fields: { note: 'A' } })),
    });

  it('a new organisation sees zeros and its next step: create a first template (issuers only)', async () => {
    const org = await t.createOrg({ name: 'Nouveau centre', slug: 'nouveau' });
    await t.createUser({ email: 'admin@nouveau.example', org, role: 'admin' });
    await t.createUser({ email: 'reviewer@nouveau.example', org, role: 'reviewer' });
    const admin = t.agent();
    await admin.signIn('admin@nouveau.example');
    const page = await admin.get('/console/nouveau');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Prochaine étape');
    expect(page.body).toContain('<a class="button" href="/console/nouveau/templates/new">Créer votre premier modèle</a>');
    expect(figure(page.body, 'Attestations émises en novembre 2026')).toBe(0);
    expect(figure(page.body, 'Courriels d’attestation en échec')).toBe(0);
    const en = await admin.get('/console/nouveau?lang=en');
    expect(en.body).toContain('Create your first template');
    expect(figure(en.body, 'Credentials issued in November 2026')).toBe(0);
    const reviewer = t.agent();
    await reviewer.signIn('reviewer@nouveau.example');
    const readOnly = await reviewer.get('/console/nouveau?lang=fr');
    expect(readOnly.body).toContain('Prochaine étape');
    expect(readOnly.body).not.toContain('/console/nouveau/templates/new');
  });

  it('counts issued (this month, local time), pending, failed deliveries and running jobs', async () => {
    // 23:30 in Paris on 30 November: last month once December starts there.
    await issue(['novembre@example.org']);
    t.clock.set(new Date('2026-11-30T23:30:00Z')); // 00:30 on 1 December in Paris
    const december = await issue(['a@example.org', 'b@example.org', 'c@example.org']);
    // One e-mail failed for good.
    await t.container.handle.db.updateTable('mail_outbox').set({ status: 'dead' }).where('id', '=', december[0]!.award.mailId!).execute();
    // A published bulk job of 4 rows, not run yet.
    const job = await createImport(t.container.deps, w.actor, { slug: w.org.slug, templateId: w.template.id, bytes: csvOf(4), filename: 'cohorte.csv' });
    await publishJob(t.container.deps, w.actor, { slug: w.org.slug, jobId: job.id });
    // Two delayed automatic issuances (12 h after the exam).
    await saveTemplateRules(t.container.deps, w.actor, {
      slug: w.org.slug,
      templateId: w.template.id,
      rules: { enabled: 'on', activities: 'sec-101', requirePassed: 'on', policy: 'once', delayMinutes: '720' },
    });
    const { results } = validateResults(
      ['x', 'y'].map((n) => ({ email: `${n}@example.org`, name: n, activity: 'sec-101', passed: true, date: '2026-11-30T20:00:00Z' })),
      t.clock.now(),
    );
    await receiveResults(t.container.deps, w.actor, { slug: w.org.slug, results, source: 'api' });

    const staff = t.agent();
    await staff.signIn('staff@ecole.example');
    const page = await staff.get('/console/ecole');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('Prochaine étape');
    expect(figure(page.body, 'Attestations émises en décembre 2026')).toBe(3);
    expect(figure(page.body, 'Lignes de lots en attente d’émission')).toBe(4);
    expect(figure(page.body, 'Émissions automatiques différées')).toBe(2);
    expect(figure(page.body, 'Courriels d’attestation en échec')).toBe(1);
    expect(figure(page.body, 'Lots en cours')).toBe(1);
    expect(page.body).toContain('<div class="figure figure-alert"><dt>Courriels d’attestation en échec</dt><dd><a href="/console/ecole/credentials">1</a>');
    expect(page.body).toContain('<dd>Europe/Paris</dd>');
  });
});
