import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { runIssuancePart } from '../../src/domain/issuance/run-issuance-job.js';
import { type Agent, type TestApp } from '../support/app.js';
import { type World, csvOf, useTemplateWorld } from './support.js';

describe('bulk issuance console (upload → columns → report → fix → publish → progress → results)', () => {
  let t: TestApp, w: World, staff: Agent;
  useTemplateWorld({ signIn: true }, (world) => ({ t, w, staff } = world));

  const jobIdOf = (location: string | undefined) => /\/bulk\/([0-9a-f-]{36})/.exec(String(location))![1]!;

  it('walks the whole flow and issues every row exactly once', async () => {
    const base = `/console/${w.org.slug}/bulk`;
    const index = await staff.get(base);
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('Émission en lot');

    const file = csvOf(12, { bad: { 3: 'Mauvais;pas-un-courriel;A;', 9: 'Sans note;sans.note@example.org;;' } });
    const up = await staff.upload(base, { templateId: w.template.id }, { field: 'file', filename: 'cohorte.csv', content: file, type: 'text/csv' });
    expect(up.statusCode).toBe(303);
    const jobId = jobIdOf(up.headers.location);

    let page = await staff.get(`${base}/${jobId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Ligne 3');
    expect(page.body).toContain('Ligne 9');
    expect(page.body).toContain('10 valides, 2 invalides');
    expect(page.body).not.toContain(`action="${base}/${jobId}/publish"`);

    // Publishing while rows are invalid is refused with the reason, nothing issued.
    const refused = await staff.post(`${base}/${jobId}/publish`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('2 lignes invalides');
    expect(await t.container.store.credentials.countForOrg(w.org.id)).toBe(0);

    // Fix one row; exclude the other explicitly.
    const fixed = await staff.post(`${base}/${jobId}/rows/3`, {
      name: 'Bonne Personne',
      email: 'bonne@example.org',
      'field:note': 'A',
      'field:date_examen': '',
    });
    expect(fixed.statusCode).toBe(303);
    const excluded = await staff.post(`${base}/${jobId}/rows/9/exclude`, {});
    expect(excluded.statusCode).toBe(303);
    page = await staff.get(`${base}/${jobId}`);
    expect(page.body).toContain('11 valides, 0 invalide, 1 exclue');
    expect(page.body).toContain('Publier 11 attestations');

    const published = await staff.post(`${base}/${jobId}/publish`, {});
    expect(published.statusCode).toBe(303);
    page = await staff.get(`${base}/${jobId}`);
    expect(page.body).toContain('data-events=');

    await runIssuancePart(t.container.deps, jobId);
    const events = await staff.get(`${base}/${jobId}/events`);
    expect(events.headers['content-type']).toContain('text/event-stream');
    expect(events.body).toMatch(/^event: progress\ndata: \{"status":"completed"[^\n]*"percent":100/);

    page = await staff.get(`${base}/${jobId}`);
    expect(page.body).toContain('11 attestations émises, 0 échec, 1 ligne exclue');
    const csv = await staff.get(`${base}/${jobId}/results.csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = parse(csv.rawPayload, { bom: true }) as string[][];
    expect(rows[0]).toEqual(['Ligne', 'Nom', 'Courriel', 'Statut', 'Identifiant de l’attestation', 'Envoi', 'Motif']);
    expect(rows).toHaveLength(13);
    expect(rows.filter((r) => r[3] === 'émise')).toHaveLength(11);
    expect(rows.find((r) => r[0] === '9')![3]).toBe('exclue');
    const mails = (await t.mails()).filter((m) => m.kind === 'credential.issued');
    expect(mails).toHaveLength(11);
  });

  it('answers a clear 4xx for a file it cannot read, and creates no job', async () => {
    const base = `/console/${w.org.slug}/bulk`;
    const before = (await t.container.store.issuanceJobs.listForOrg(w.org.id, 100)).length;
    const res = await staff.upload(
      base,
      { templateId: w.template.id },
      { field: 'file', filename: 'x.csv', content: Buffer.from('Nom;Courriel\n"Ouvert;x@example.org\n') },
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('role="alert"');
    expect((await t.container.store.issuanceJobs.listForOrg(w.org.id, 100)).length).toBe(before);
  });

  it('keeps reviewers read-only and hides jobs from other organisations', async () => {
    const reviewerUser = await t.createUser({ email: 'rev@ecole.example', name: 'Rev', org: w.org, role: 'reviewer' });
    void reviewerUser;
    const reviewer = t.agent();
    await reviewer.signIn('rev@ecole.example');
    const base = `/console/${w.org.slug}/bulk`;
    const res = await reviewer.upload(base, { templateId: w.template.id }, { field: 'file', filename: 'c.csv', content: csvOf(2) });
    expect(res.statusCode).toBe(403);
    const jobs = await t.container.store.issuanceJobs.listForOrg(w.org.id, 1);
    const other = await t.createOrg({ name: 'Autre', slug: 'autre' });
    await t.createUser({ email: 'admin@autre.example', name: 'Autre', org: other, role: 'admin' });
    const outsider = t.agent();
    await outsider.signIn('admin@autre.example');
    const foreign = await outsider.get(`/console/autre/bulk/${jobs[0]!.id}`);
    const missing = await outsider.get('/console/autre/bulk/00000000-0000-7000-8000-000000000000');
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toBe(missing.body);
  });
});
