import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImport, publishJob } from '../../src/domain/issuance/import-spreadsheet.js';
import { runIssuancePart } from '../../src/domain/issuance/run-issuance-job.js';
import { issueBatch } from '../../src/domain/issuance/issue-batch.js';
import { setAwardStatus } from '../../src/domain/credentials/manage-credentials.js';
import { createWebhook } from '../../src/domain/webhooks/manage-webhooks.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { type World, csvOf, seedTemplateWorld } from './support.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/domain/webhooks/model.js';

describe('issuance events reach the organisation webhooks', () => {
  let t: TestApp, w: World;
  beforeAll(async () => {
    t = await createTestApp();
    w = await seedTemplateWorld(t);
  });
  afterAll(async () => t?.close());

  it('emits credential.issued, credential.claimed, credential.revoked and job.completed in the changing transactions', async () => {
    const deps = t.container.deps;
    const admin = { kind: 'user' as const, userId: w.admin.id, isPlatformAdmin: false, ip: null };
    const { webhook } = await createWebhook(deps, admin, { slug: w.org.slug, url: 'https://hooks.example.org/sceau', events: [...WEBHOOK_EVENT_TYPES] });
    // An existing account with this verified address: the credential goes straight in (claimed).
    await t.createUser({ email: 'titulaire@example.org', name: 'Titulaire' });
    const [one] = await issueBatch(deps, w.actor, {
      org: w.org,
      template: w.template,
      version: w.template.version,
      recipients: [{ name: 'Titulaire', email: 'titulaire@example.org', learnerId: 'M-1', locale: 'fr', fields: { note: 'A' } }],
    });
    expect(one!.award.holderUserId).not.toBeNull();
    await setAwardStatus(deps, w.actor, { slug: w.org.slug, id: one!.award.id, status: 'revoked', reason: 'Erreur de saisie' });
    const job = await createImport(deps, w.actor, { slug: w.org.slug, templateId: w.template.id, bytes: csvOf(3) });
    await publishJob(deps, w.actor, { slug: w.org.slug, jobId: job.id });
    await runIssuancePart(deps, job.id);

    const deliveries = (
      await t.container.handle.db.selectFrom('webhook_deliveries').select(['event_type', 'payload']).where('webhook_id', '=', webhook.id).execute()
    ).map((r) => ({ eventType: r.event_type, payload: r.payload }));
    const types = deliveries.map((d) => d.eventType).sort();
    expect(types).toEqual([
      'credential.claimed',
      'credential.issued',
      'credential.issued',
      'credential.issued',
      'credential.issued',
      'credential.revoked',
      'job.completed',
    ]);
    const revoked = deliveries.find((d) => d.eventType === 'credential.revoked')!;
    expect(JSON.parse(revoked.payload).data).toMatchObject({ credentialId: one!.credentialId, reason: 'Erreur de saisie' });
    const completed = deliveries.find((d) => d.eventType === 'job.completed')!;
    expect(JSON.parse(completed.payload).data).toMatchObject({ id: job.id, issued: 3, failed: 0 });
    // No holder link (it carries a secret token) ever goes into a webhook payload.
    for (const d of deliveries) expect(d.payload).not.toMatch(/\/c\/[0-9a-f-]{36}\?t=/);
  });
});
