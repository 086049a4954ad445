/**
 * Without SMTP, credential e-mails stay in the local outbox: the analytics say so and count them ("kept in the local
 * outbox") instead of showing only "Remises 0". Deliveries through SMTP still count as delivered.
 */
import { describe, expect, it } from 'vitest';
import { requireRecipient } from '../../src/domain/issuance/check-recipients.js';
import { issueBatch } from '../../src/domain/issuance/issue-batch.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import { createMailTransport, deliverMail } from '../../src/mail/sender.js';
import { type Agent, type TestApp } from '../support/app.js';
import { TEMPLATE_INPUT, type World, useTemplateWorld } from './support.js';

/** The number of a totals cell, by its label. */
const stat = (body: string, label: string) => {
  const m = new RegExp(`<dt>${label}</dt><dd>(\\d+)</dd>`).exec(body);
  if (!m) throw new Error(`no stat "${label}"`);
  return Number(m[1]);
};

describe('analytics with the local outbox', () => {
  let t: TestApp, w: World, staff: Agent;
  useTemplateWorld({ signIn: true }, (world) => ({ t, w, staff } = world));

  it('counts the credentials whose e-mail is kept in the local outbox, per template, and explains why none is delivered', async () => {
    const other = await createTemplate(t.container.deps, w.actor, { slug: w.org.slug, template: { ...TEMPLATE_INPUT, name: { fr: 'Autre modèle' } } });
    const issue = (template = w.template, emails: string[]) =>
      issueBatch(t.container.deps, w.actor, {
        org: w.org,
        template,
        version: template.version,
        recipients: emails.map((email) => requireRecipient(template.content, { name: email, email, fields: { note: 'A' } })),
      });
    const awards = [...(await issue(w.template, ['a@example.org', 'b@example.org'])), ...(await issue(other, ['c@example.org']))];
    const transport = createMailTransport({ smtpUrl: undefined });
    for (const a of awards) {
      await deliverMail(
        { store: t.container.store, clock: t.clock, transport, from: 'x@sceau.test', host: 'sceau.test' },
        { mailId: a.award.mailId!, attempt: 1, maxAttempts: 3 },
      );
    }

    const page = await staff.get(`/console/ecole/analytics?template=${w.template.id}`);
    expect(page.statusCode).toBe(200);
    expect(stat(page.body, 'Émises')).toBe(2);
    expect(stat(page.body, 'Remises')).toBe(0);
    expect(stat(page.body, 'Conservées dans la boîte d’envoi locale')).toBe(2);
    expect(page.body).toContain('Aucun serveur de courriel (SMTP) n’est configuré');
    expect(stat((await staff.get('/console/ecole/analytics')).body, 'Conservées dans la boîte d’envoi locale')).toBe(3);
    const en = await staff.get(`/console/ecole/analytics?template=${other.id}&lang=en`);
    expect(stat(en.body, 'Kept in the local outbox')).toBe(1);
    expect(en.body).toContain('so they are not counted as delivered');
  });
});
