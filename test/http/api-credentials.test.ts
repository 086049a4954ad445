/**
 * /api/v1/credentials and /api/v1/issuance-jobs on SQLite and PostgreSQL: issuing one or many from a template,
 * per-recipient reports (nothing issued), idempotency, cursor pagination and filters, revoke/suspend, re-send,
 * bulk jobs run by the worker, isolation between organisations and mass assignment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/domain/shared/clock.js';
import { runIssuancePart } from '../../src/domain/issuance/run-issuance-job.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import { apiKeyFor, twoOrgsWithKeys } from '../support/factories.js';
import { schemaErrors, stockVerify } from '../credentials/issuing/support.js';
import { TEMPLATE_INPUT } from '../templates/support.js';
import type { Organization } from '../../src/domain/organizations/model.js';

interface Credential {
  id: string;
  credentialId: string;
  status: string;
  issuedAt: string;
  recipient: { name: string; email: string; learnerId: string | null };
}

const recipient = (i: number, extra: Record<string, unknown> = {}) => ({
  name: `Élève ${i}`,
  email: `eleve${i}@example.org`,
  learnerId: `M-${String(i).padStart(4, '0')}`,
  fields: { note: i % 2 ? 'A' : 'B+', date_examen: '15/06/2026' },
  ...extra,
});

for (const dialect of testDialects())
  describe(`${dialect}: /api/v1/credentials and /api/v1/issuance-jobs`, () => {
    let t: TestApp, orgA: Organization, keyA: string, keyB: string, templateId: string;
    beforeAll(async () => {
      t = await createTestApp({ dialect });
      ({ orgA, keyA, keyB } = await twoOrgsWithKeys(t, { name: 'École A', slug: 'ecole-a' }, { name: 'École B', slug: 'ecole-b' }, { label: 'SIS' }));
      const res = await call('POST', '/templates', TEMPLATE_INPUT);
      expect(res.statusCode).toBe(201);
      templateId = res.json().id;
    });
    afterAll(async () => {
      await t?.close();
    });

    function call(method: 'GET' | 'POST', url: string, payload?: unknown, key = keyA, headers: Record<string, string> = {}) {
      return t.app.inject({
        method,
        url: `/api/v1${url}`,
        ...(payload === undefined ? {} : { payload: payload as object }),
        headers: { authorization: `Bearer ${key}`, 'accept-language': 'en', ...headers },
      });
    }
    const credentialCount = (org = orgA) => t.container.store.credentials.countForOrg(org.id);
    const issuedMails = async () => (await t.mails()).filter((m) => m.kind === 'credential.issued').length;
    const jobCount = async () => (await t.container.store.issuanceJobs.listForOrg(orgA.id, 1000)).length;

    it('issues 3 credentials at once: 201, e-mails with links, no link in the answer, a document the stock verifier accepts', async () => {
      const mailsBefore = await issuedMails();
      const res = await call('POST', '/credentials', {
        templateId,
        recipients: [recipient(1), recipient(2, { locale: 'en' }), recipient(3, { learnerId: null })],
      });
      expect(res.statusCode).toBe(201);
      const { data } = res.json() as { data: Credential[] };
      expect(data).toHaveLength(3);
      expect(data[0]).toMatchObject({
        templateId,
        templateVersion: 1,
        status: 'active',
        jobId: null,
        inAccount: false,
        delivery: { status: 'queued', attempts: 0, error: null },
        recipient: { name: 'Élève 1', email: 'eleve1@example.org', learnerId: 'M-0001', locale: 'fr', fields: { note: 'A', date_examen: '2026-06-15' } },
      });
      expect(data[1]!.recipient).toMatchObject({ locale: 'en' });
      expect(data[2]!.recipient.learnerId).toBeNull();
      expect(data[0]!.credentialId).toMatch(/^urn:uuid:/);
      // The holder link is only e-mailed.
      expect(res.body).not.toMatch(/\?t=|\/c\/|link/i);
      expect(await issuedMails()).toBe(mailsBefore + 3);
      const mail = await t.lastMailTo('eleve2@example.org');
      expect(mail.text).toMatch(/http:\/\/sceau\.test:3000\/c\/[0-9a-f-]{36}\?t=[A-Za-z0-9_-]{43}/);

      const detail = await call('GET', `/credentials/${data[0]!.id}`);
      expect(detail.statusCode).toBe(200);
      const body = detail.json();
      expect(body).toMatchObject({ id: data[0]!.id, credentialId: data[0]!.credentialId, history: [{ action: 'credential.issued', reason: null }] });
      expect(body.credential.id).toBe(data[0]!.credentialId);
      expect(schemaErrors(body.credential)).toEqual([]);
      expect((await stockVerify(t.container.deps, body.credential)).verified).toBe(true);
      expect(detail.body).not.toMatch(/\?t=/);
    });

    it('checks every recipient first: one invalid, a duplicate e-mail or an unknown field → 422 with every problem, nothing issued', async () => {
      const before = await credentialCount();
      const mailsBefore = await issuedMails();
      const bad = await call('POST', '/credentials', {
        templateId,
        recipients: [
          recipient(10),
          recipient(11, { email: 'pas-un-courriel', fields: { note: '' } }),
          recipient(12, { email: 'ELEVE10@example.org' }),
          recipient(13, { fields: { note: 'A', typo: 'x' } }),
        ],
      });
      expect(bad.statusCode).toBe(422);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      const problem = bad.json();
      expect(problem).toMatchObject({ code: 'RECIPIENTS_INVALID', status: 422, params: { count: 3 }, field: 'recipients' });
      expect(problem.detail).toContain('nothing was issued');
      expect(problem.items).toEqual([
        { index: 1, target: 'email', code: 'EMAIL_INVALID', message: 'This e-mail address is not valid.' },
        { index: 1, target: 'field:note', code: 'FIELD_REQUIRED', message: 'Required value missing.' },
        { index: 2, target: 'email', code: 'RECIPIENT_DUPLICATE', message: 'Duplicate e-mail (already on line 1).', firstIndex: 0 },
        { index: 3, target: 'field:typo', code: 'FIELD_INVALID', message: 'Invalid value.' },
      ]);
      expect(await credentialCount()).toBe(before);
      expect(await issuedMails()).toBe(mailsBefore);
      // Localised like every problem.
      const fr = await call('POST', '/credentials', { templateId, recipients: [recipient(14, { name: '  ' })] }, keyA, { 'accept-language': 'fr' });
      expect(fr.json().items[0]).toMatchObject({ target: 'name', code: 'RECIPIENT_NAME_INVALID', message: expect.stringContaining('Nom') });
      // Counts: 1..100.
      expect((await call('POST', '/credentials', { templateId, recipients: [] })).statusCode).toBe(400);
      const many = Array.from({ length: 101 }, (_, i) => recipient(1000 + i));
      expect((await call('POST', '/credentials', { templateId, recipients: many })).statusCode).toBe(400);
      expect(await credentialCount()).toBe(before);
    });

    it('issues once for the same Idempotency-Key and replays the answer', async () => {
      const before = await credentialCount();
      const body = { templateId, recipients: [recipient(20), recipient(21)] };
      const first = await call('POST', '/credentials', body, keyA, { 'idempotency-key': 'issue-20-21' });
      expect(first.statusCode).toBe(201);
      const second = await call('POST', '/credentials', body, keyA, { 'idempotency-key': 'issue-20-21' });
      expect(second.statusCode).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toBe(first.body);
      expect(await credentialCount()).toBe(before + 2);
      expect((await t.mails()).filter((m) => m.to === 'eleve20@example.org')).toHaveLength(1);
      const invalid = { templateId, recipients: [recipient(22, { email: 'x' })] };
      const r1 = await call('POST', '/credentials', invalid, keyA, { 'idempotency-key': 'issue-22' });
      const r2 = await call('POST', '/credentials', invalid, keyA, { 'idempotency-key': 'issue-22' });
      expect(r1.statusCode).toBe(422);
      expect(r2.headers['idempotent-replayed']).toBe('true');
      expect(r2.body).toBe(r1.body);
    });

    it('refuses an archived template (409) and an unknown or foreign one (404)', async () => {
      const other = (await call('POST', '/templates', { ...TEMPLATE_INPUT, kind: 'badge' })).json();
      expect((await call('POST', `/templates/${other.id}/archive`)).statusCode).toBe(200);
      const before = await credentialCount();
      const archived = await call('POST', '/credentials', { templateId: other.id, recipients: [recipient(30)] });
      expect(archived.statusCode).toBe(409);
      expect(archived.json().code).toBe('TEMPLATE_ARCHIVED');
      const job = await call('POST', '/issuance-jobs', { templateId: other.id, recipients: [recipient(30)] });
      expect(job.statusCode).toBe(409);
      expect((await call('POST', '/credentials', { templateId: 'nope', recipients: [recipient(30)] })).statusCode).toBe(404);
      const foreign = await call('POST', '/credentials', { templateId, recipients: [recipient(30)] }, keyB);
      expect(foreign.statusCode).toBe(404);
      expect(await credentialCount()).toBe(before);
    });

    it('refuses mass assignment (orgId, status, issuedAt, revoked…) in every body with 400, issuing nothing', async () => {
      const before = await credentialCount();
      const jobs = await jobCount();
      const extras = [{ orgId: 'x' }, { status: 'revoked' }, { issuedAt: '2020-01-01T00:00:00Z' }, { revoked: true }, { org_id: 'x' }];
      for (const extra of extras) {
        for (const body of [
          { templateId, recipients: [recipient(40)], ...extra },
          { templateId, recipients: [recipient(40, extra)] },
        ]) {
          const one = await call('POST', '/credentials', body);
          expect(one.statusCode, JSON.stringify(body)).toBe(400);
          expect(one.json().code).toBe('VALIDATION_FAILED');
          expect((await call('POST', '/issuance-jobs', body)).statusCode).toBe(400);
        }
      }
      expect(await credentialCount()).toBe(before);
      expect(await jobCount()).toBe(jobs);
      const some = (await call('GET', '/credentials?limit=1')).json().data[0] as Credential;
      for (const action of ['revoke', 'suspend', 'reactivate', 'resend']) {
        const res = await call('POST', `/credentials/${some.id}/${action}`, { reason: 'x', status: 'active', orgId: 'x' });
        expect(res.statusCode, action).toBe(400);
      }
      expect((await call('GET', `/credentials/${some.id}`)).json().status).toBe('active');
    });

    it('revokes with a reason, then refuses to suspend (409); suspends and reactivates another; re-sends with a new link', async () => {
      const [a, b] = (await call('POST', '/credentials', { templateId, recipients: [recipient(50), recipient(51)] })).json().data as Credential[];
      const revoked = await call('POST', `/credentials/${a!.id}/revoke`, { reason: 'Fraude à l’examen' });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json()).toMatchObject({ id: a!.id, status: 'revoked' });
      const suspend = await call('POST', `/credentials/${a!.id}/suspend`, { reason: 'x' });
      expect(suspend.statusCode).toBe(409);
      expect(suspend.json().code).toBe('CREDENTIAL_REVOKED_PERMANENT');
      expect((await call('POST', `/credentials/${a!.id}/resend`)).statusCode).toBe(409);
      const detail = (await call('GET', `/credentials/${a!.id}`)).json();
      expect(detail.status).toBe('revoked');
      expect(detail.history.map((h: { action: string; reason: string | null }) => [h.action, h.reason])).toEqual([
        ['credential.revoked', 'Fraude à l’examen'],
        ['credential.issued', null],
      ]);
      const tooLong = await call('POST', `/credentials/${b!.id}/suspend`, { reason: 'x'.repeat(501) });
      expect(tooLong.statusCode).toBe(400);
      expect((await call('POST', `/credentials/${b!.id}/suspend`)).json().status).toBe('suspended');
      expect((await call('POST', `/credentials/${b!.id}/reactivate`, {})).json().status).toBe('active');

      const mailsBefore = (await t.mails()).filter((m) => m.to === 'eleve51@example.org');
      const resent = await call('POST', `/credentials/${b!.id}/resend`);
      expect(resent.statusCode).toBe(200);
      expect(resent.body).not.toMatch(/\?t=/);
      const mails = (await t.mails()).filter((m) => m.to === 'eleve51@example.org');
      expect(mails).toHaveLength(mailsBefore.length + 1);
    });

    it('answers 404 to another organisation’s key on every credential and job route, identical to unknown ids, changing nothing', async () => {
      const [c] = (await call('POST', '/credentials', { templateId, recipients: [recipient(60)] })).json().data as Credential[];
      const job = (await call('POST', '/issuance-jobs', { templateId, recipients: [recipient(61)] })).json();
      const unknownId = '0190f0a2-7c1e-7000-8000-000000000001';
      const mailsBefore = (await t.mails()).length;
      const pairs: [string, string, unknown?][] = [
        ['GET', '/credentials/ID'],
        ['POST', '/credentials/ID/revoke', { reason: 'x' }],
        ['POST', '/credentials/ID/suspend'],
        ['POST', '/credentials/ID/reactivate'],
        ['POST', '/credentials/ID/resend'],
      ];
      for (const [method, path, body] of pairs) {
        const foreign = await call(method as 'GET', path.replace('ID', c!.id), body, keyB);
        const unknown = await call(method as 'GET', path.replace('ID', unknownId), body, keyB);
        expect(foreign.statusCode, path).toBe(404);
        expect(foreign.body).toBe(unknown.body);
      }
      for (const path of ['/issuance-jobs/ID', '/issuance-jobs/ID/rows']) {
        const foreign = await call('GET', path.replace('ID', job.id), undefined, keyB);
        expect(foreign.statusCode, path).toBe(404);
        expect(foreign.body).toBe((await call('GET', path.replace('ID', unknownId), undefined, keyB)).body);
      }
      expect((await call('GET', '/credentials', undefined, keyB)).json().data).toEqual([]);
      expect((await call('GET', `/credentials?templateId=${templateId}`, undefined, keyB)).json().data).toEqual([]);
      const after = (await call('GET', `/credentials/${c!.id}`)).json();
      expect(after).toMatchObject({ status: 'active', history: [{ action: 'credential.issued' }] });
      expect((await t.mails()).length).toBe(mailsBefore);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/credentials' })).statusCode).toBe(401);
    });

    it('runs a 300-record job: 202, then the worker issues all, progress reaches 100 %, rows list each credential', async () => {
      const before = await credentialCount();
      const records = Array.from({ length: 300 }, (_, i) => recipient(2000 + i));
      const res = await call('POST', '/issuance-jobs', { templateId, recipients: records }, keyA, { 'idempotency-key': 'job-300' });
      expect(res.statusCode).toBe(202);
      const job = res.json();
      expect(job).toMatchObject({ status: 'queued', total: 300, source: 'api', counts: { pending: 300, issued: 0 }, progress: { percent: 0 } });
      const replay = await call('POST', '/issuance-jobs', { templateId, recipients: records }, keyA, { 'idempotency-key': 'job-300' });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(await credentialCount()).toBe(before);

      await runIssuancePart(t.container.deps, job.id);
      const done = (await call('GET', `/issuance-jobs/${job.id}`)).json();
      expect(done).toMatchObject({
        id: job.id,
        status: 'completed',
        total: 300,
        counts: { issued: 300, pending: 0, failed: 0 },
        progress: { done: 300, total: 300, percent: 100 },
      });
      expect(done.completedAt).toEqual(expect.any(String));
      expect(await credentialCount()).toBe(before + 300);
      expect((await t.container.store.issuanceJobs.listForOrg(orgA.id, 1000)).filter((j) => j.templateId === templateId && j.totalRows === 300)).toHaveLength(
        1,
      );

      const rows: { rowNo: number; status: string; credential: { id: string } | null; recipient: { email: string } }[] = [];
      let cursor: string | null = null;
      do {
        const page = await call('GET', `/issuance-jobs/${job.id}/rows?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.statusCode).toBe(200);
        const body = page.json();
        rows.push(...body.data);
        cursor = body.nextCursor;
      } while (cursor);
      expect(rows.map((r) => r.rowNo)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect(rows.every((r) => r.status === 'issued' && r.credential)).toBe(true);
      expect(rows[41]!.recipient.email).toBe('eleve2041@example.org');
      const c = (await call('GET', `/credentials/${rows[41]!.credential!.id}`)).json();
      expect(c).toMatchObject({ jobId: job.id, rowNo: 42, recipient: { email: 'eleve2041@example.org' } });
      // A cursor of one list does not work on another.
      const first = (await call('GET', `/issuance-jobs/${job.id}/rows?limit=1`)).json();
      expect((await call('GET', `/credentials?cursor=${encodeURIComponent(first.nextCursor)}`)).json().code).toBe('CURSOR_INVALID');
    });

    it('creates no job when one record is invalid (422 with the row report)', async () => {
      const jobs = await jobCount();
      const records = Array.from({ length: 50 }, (_, i) => recipient(3000 + i));
      records[17] = recipient(3017, { fields: { note: 'A', date_examen: '31/02/2026' } });
      const res = await call('POST', '/issuance-jobs', { templateId, recipients: records });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({
        code: 'RECIPIENTS_INVALID',
        params: { count: 1 },
        items: [{ index: 17, target: 'field:date_examen', code: 'FIELD_DATE_INVALID' }],
      });
      expect(await jobCount()).toBe(jobs);
      expect((await call('POST', '/issuance-jobs', { templateId, recipients: [] })).statusCode).toBe(400);
    });

    it('pages 120 credentials by 50 with every one exactly once, and filters by template, status, dates and search', async () => {
      const orgC = await t.createOrg({ name: 'École C', slug: 'ecole-c' });
      const keyC = await apiKeyFor(t, orgC, { label: 'SIS' });
      const tC = (await call('POST', '/templates', TEMPLATE_INPUT, keyC)).json().id as string;
      const tC2 = (await call('POST', '/templates', { ...TEMPLATE_INPUT, kind: 'badge', fields: [], email: {} }, keyC)).json().id as string;
      const firstDay = t.clock.now().toISOString().slice(0, 10);
      expect((await call('POST', '/credentials', { templateId: tC, recipients: Array.from({ length: 60 }, (_, i) => recipient(i)) }, keyC)).statusCode).toBe(
        201,
      );
      t.clock.advance(2 * DAY);
      const secondDay = t.clock.now().toISOString().slice(0, 10);
      expect(
        (await call('POST', '/credentials', { templateId: tC, recipients: Array.from({ length: 50 }, (_, i) => recipient(100 + i)) }, keyC)).statusCode,
      ).toBe(201);
      t.clock.advance(1000);
      expect(
        (
          await call(
            'POST',
            '/credentials',
            { templateId: tC2, recipients: Array.from({ length: 10 }, (_, i) => ({ name: `Badge ${i}`, email: `badge${i}@example.org` })) },
            keyC,
          )
        ).statusCode,
      ).toBe(201);

      const all = async (query: string) => {
        const out: Credential[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await call('GET', `/credentials?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, keyC);
          expect(res.statusCode, res.body).toBe(200);
          const body = res.json() as { data: Credential[]; nextCursor: string | null };
          out.push(...body.data);
          cursor = body.nextCursor;
          pages++;
        } while (cursor);
        return { out, pages };
      };
      const { out, pages } = await all('');
      expect(pages).toBe(3);
      expect(out).toHaveLength(120);
      expect(new Set(out.map((c) => c.id)).size).toBe(120);
      expect(out.map((c) => c.issuedAt)).toEqual([...out.map((c) => c.issuedAt)].sort().reverse());
      expect((await all('limit=100')).pages).toBe(2);

      expect((await all(`templateId=${tC2}`)).out).toHaveLength(10);
      expect((await all(`templateId=${tC}`)).out).toHaveLength(110);
      expect((await all(`to=${firstDay}`)).out).toHaveLength(60);
      expect((await all(`from=${secondDay}`)).out).toHaveLength(60);
      expect((await all(`from=${secondDay}&templateId=${tC}`)).out).toHaveLength(50);
      const search = (await all('q=M-0042')).out;
      expect(search.map((c) => c.recipient.email)).toEqual(['eleve42@example.org']);
      expect((await all('q=BADGE')).out).toHaveLength(10);

      const target = out.find((c) => c.recipient.email === 'eleve7@example.org')!;
      expect((await call('POST', `/credentials/${target.id}/revoke`, { reason: 'Erreur' }, keyC)).statusCode).toBe(200);
      const revoked = (await all('status=revoked')).out;
      expect(revoked.map((c) => c.id)).toEqual([target.id]);
      expect((await all('status=active')).out).toHaveLength(119);
      expect((await call('GET', '/credentials?from=not-a-date', undefined, keyC)).statusCode).toBe(400);
      expect((await call('GET', '/credentials?status=lost', undefined, keyC)).statusCode).toBe(400);
      expect((await call('GET', '/credentials?limit=101', undefined, keyC)).statusCode).toBe(400);
    });

    it('documents every route with request and response schemas in the OpenAPI', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
      const p = doc.paths;
      const json = (op: { requestBody?: { content: Record<string, { schema: unknown }> } }) => op.requestBody?.content['application/json']?.schema;
      expect(json(p['/api/v1/credentials'].post)).toMatchObject({ additionalProperties: false });
      expect(p['/api/v1/credentials'].post.responses['201'].content['application/json'].schema).toBeDefined();
      expect(p['/api/v1/credentials'].post.responses['422'].content['application/json'].schema.properties.items).toBeDefined();
      expect(p['/api/v1/credentials'].post.parameters.some((x: { name: string }) => x.name === 'idempotency-key')).toBe(true);
      expect(p['/api/v1/credentials'].get.parameters.map((x: { name: string }) => x.name)).toEqual(
        expect.arrayContaining(['limit', 'cursor', 'templateId', 'status', 'from', 'to', 'q']),
      );
      expect(p['/api/v1/credentials/{id}'].get.responses['200'].content['application/json'].schema.properties.credential).toBeDefined();
      for (const action of ['revoke', 'suspend', 'reactivate', 'resend']) {
        const op = p[`/api/v1/credentials/{id}/${action}`].post;
        expect(op.tags).toEqual(['credentials']);
        expect(op.responses['200'].content['application/json'].schema).toBeDefined();
      }
      expect(json(p['/api/v1/issuance-jobs'].post)).toMatchObject({ additionalProperties: false });
      expect(p['/api/v1/issuance-jobs'].post.responses['202'].content['application/json'].schema).toBeDefined();
      expect(p['/api/v1/issuance-jobs/{id}'].get.responses['200']).toBeDefined();
      expect(p['/api/v1/issuance-jobs/{id}/rows'].get.responses['200']).toBeDefined();
    });
  });
