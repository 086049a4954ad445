import { describe, expect, it } from 'vitest';
import { createImport, fixRow, getJob, publishJob, setExcluded, setMapping } from '../../src/domain/issuance/import-spreadsheet.js';
import { runIssuancePart } from '../../src/domain/issuance/run-issuance-job.js';
import { AppError } from '../../src/domain/shared/errors.js';
import { testDialects } from '../support/db.js';
import { type TestApp } from '../support/app.js';
import { stockVerify, schemaErrors } from '../credentials/issuing/support.js';
import { type World, csvOf, useTemplateWorld } from './support.js';

describe.each(testDialects())('bulk issuance on %s', (dialect) => {
  let t: TestApp, w: World;
  useTemplateWorld({ dialect }, (world) => ({ t, w } = world));

  it('reports invalid rows with their line numbers, refuses to publish, then issues every row once after fixes', async () => {
    const deps = t.container.deps;
    const bytes = csvOf(10, { bad: { 4: 'Sans Courriel;pas-un-courriel;A;15/06/2026', 7: ';x@example.org;;31/02/2026' } });
    const job = await createImport(deps, w.actor, { slug: w.org.slug, templateId: w.template.id, bytes, filename: 'cohorte.csv' });
    expect(job.mapping).toEqual({ Nom: 'name', Courriel: 'email', Note: 'field:note', 'Date de l’examen': 'field:date_examen' });
    let view = await getJob(deps, w.actor, { slug: w.org.slug, jobId: job.id });
    expect(view.counts).toMatchObject({ total: 10, invalid: 2, valid: 8 });
    const rows = await deps.store.issuanceJobs.listRows(job.id, { status: ['invalid'] });
    expect(rows.map((r) => [r.rowNo, r.errors.map((e) => `${e.target}:${e.code}`)])).toEqual([
      [4, ['email:EMAIL_INVALID']],
      [7, ['name:RECIPIENT_NAME_INVALID', 'field:note:FIELD_REQUIRED', 'field:date_examen:FIELD_DATE_INVALID']],
    ]);
    await expect(publishJob(deps, w.actor, { slug: w.org.slug, jobId: job.id })).rejects.toMatchObject({ code: 'IMPORT_HAS_INVALID_ROWS' });
    expect(await deps.store.credentials.countForOrg(w.org.id)).toBe(0);

    await fixRow(deps, w.actor, {
      slug: w.org.slug,
      jobId: job.id,
      rowNo: 4,
      values: { name: 'Sans Courriel', email: 'sans.courriel@example.org', 'field:note': 'A' },
    });
    await fixRow(deps, w.actor, {
      slug: w.org.slug,
      jobId: job.id,
      rowNo: 7,
      values: { name: 'Zoé Tremblay', email: 'x@example.org', 'field:note': '87 %', 'field:date_examen': '2026-02-28' },
    });
    view = await getJob(deps, w.actor, { slug: w.org.slug, jobId: job.id });
    expect(view.counts).toMatchObject({ invalid: 0, valid: 10 });

    const published = await publishJob(deps, w.actor, { slug: w.org.slug, jobId: job.id });
    expect(published.status).toBe('queued');
    await runIssuancePart(deps, job.id);
    // A second run (a crash after the last commit, a retried job) issues nothing more.
    await runIssuancePart(deps, job.id);
    view = await getJob(deps, w.actor, { slug: w.org.slug, jobId: job.id });
    expect(view.job.status).toBe('completed');
    expect(view.counts).toMatchObject({ issued: 10, pending: 0, failed: 0 });
    expect(await deps.store.credentials.countForOrg(w.org.id)).toBe(10);
    const mails = (await t.mails()).filter((m) => m.kind === 'credential.issued');
    expect(mails).toHaveLength(10);
    expect(new Set(mails.map((m) => m.to)).size).toBe(10);
    const zoe = mails.find((m) => m.to === 'x@example.org')!;
    expect(zoe.subject).toBe('Votre attestation Secourisme en milieu de travail');
    expect(zoe.text).toContain('Bonjour Zoé Tremblay');
    expect(zoe.text).toContain('(87 %)');
    expect(zoe.text).toMatch(/http:\/\/sceau\.test:3000\/c\/[0-9a-f-]{36}\?t=[A-Za-z0-9_-]{43}/);

    // The credential is a valid OB 3.0 credential that the stock verifier accepts.
    const awards = await deps.store.awards.byJob(job.id);
    const award = awards.get(7)!;
    const [cred] = await deps.store.credentials.findByCredentialId(w.org.id, award.credentialId);
    const doc = JSON.parse(cred!.document);
    expect(schemaErrors(doc)).toEqual([]);
    const stock = await stockVerify(deps, doc);
    expect(stock.verified).toBe(true);
    expect(doc.credentialSubject.achievement.name).toBe('Secourisme en milieu de travail');
    expect(doc.credentialSubject.identifier[1]).toMatchObject({ identityType: 'name', identityHash: 'Zoé Tremblay' });
    expect(doc.credentialSubject.result).toEqual([
      { type: ['Result'], value: '87 %', resultDescription: `urn:uuid:${w.template.publicId}#note` },
      { type: ['Result'], value: '2026-02-28', resultDescription: `urn:uuid:${w.template.publicId}#date_examen` },
    ]);
    expect(doc.credentialSubject.achievement.alignment[0]).toMatchObject({ targetFramework: 'ESCO', targetName: 'Premiers secours' });
    expect(doc.credentialSubject.achievement.tag).toEqual(['Travail d’équipe']);
    expect(new Date(doc.validUntil).getUTCFullYear()).toBe(new Date(doc.validFrom).getUTCFullYear() + 3);
  });

  it('flags duplicate e-mails and lets the issuer exclude rows explicitly', async () => {
    const deps = t.container.deps;
    const bytes = csvOf(4, { sep: ',', bad: { 5: 'Doublon,eleve0@example.org,A,' } });
    const job = await createImport(deps, w.actor, { slug: w.org.slug, templateId: w.template.id, bytes });
    const [dup] = await deps.store.issuanceJobs.listRows(job.id, { status: ['invalid'] });
    expect(dup).toMatchObject({ rowNo: 5, errors: [{ target: 'email', code: 'RECIPIENT_DUPLICATE', line: 2 }] });
    await setExcluded(deps, w.actor, { slug: w.org.slug, jobId: job.id, rows: 'invalid', excluded: true });
    const view = await getJob(deps, w.actor, { slug: w.org.slug, jobId: job.id });
    expect(view.counts).toMatchObject({ invalid: 0, excluded: 1, valid: 3 });
  });

  it('refuses a mapping without e-mail, and keeps the remembered mapping for the next file', async () => {
    const deps = t.container.deps;
    const bytes = Buffer.from('Participant;Adresse;Résultat\nAna;ana@example.org;A\n');
    const job = await createImport(deps, w.actor, { slug: w.org.slug, templateId: w.template.id, bytes });
    await expect(setMapping(deps, w.actor, { slug: w.org.slug, jobId: job.id, mapping: { Participant: 'name' } })).rejects.toBeInstanceOf(AppError);
    await setMapping(deps, w.actor, { slug: w.org.slug, jobId: job.id, mapping: { Participant: 'name', Adresse: 'email', Résultat: 'field:note' } });
    expect((await getJob(deps, w.actor, { slug: w.org.slug, jobId: job.id })).counts.valid).toBe(1);
    const again = await createImport(deps, w.actor, { slug: w.org.slug, templateId: w.template.id, bytes });
    expect(again.mapping).toMatchObject({ Participant: 'name', Adresse: 'email', Résultat: 'field:note' });
  });

  it('creates no job for a file it cannot read', async () => {
    const deps = t.container.deps;
    const before = (await deps.store.issuanceJobs.listForOrg(w.org.id, 100)).length;
    await expect(createImport(deps, w.actor, { slug: w.org.slug, templateId: w.template.id, bytes: Buffer.from('a;b\n"open;x\n') })).rejects.toBeInstanceOf(
      AppError,
    );
    expect((await deps.store.issuanceJobs.listForOrg(w.org.id, 100)).length).toBe(before);
  });
});
