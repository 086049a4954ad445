/** /api/v1/templates on SQLite and PostgreSQL: create, read, list with a cursor, new versions, archive, restore, isolation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import { twoOrgsWithKeys } from '../support/factories.js';
import { TEMPLATE_INPUT } from '../templates/support.js';
import type { Organization } from '../../src/domain/organizations/model.js';

for (const dialect of testDialects())
  describe(`${dialect}: /api/v1/templates`, () => {
    let t: TestApp, orgA: Organization, keyA: string, keyB: string;
    beforeAll(async () => {
      t = await createTestApp({ dialect });
      ({ orgA, keyA, keyB } = await twoOrgsWithKeys(t, { name: 'École A', slug: 'ecole-a' }, { name: 'École B', slug: 'ecole-b' }, { label: 'SIS' }));
    });
    afterAll(async () => {
      await t.close();
    });

    const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, key = keyA, headers: Record<string, string> = {}) =>
      t.app.inject({
        method,
        url: `/api/v1${url}`,
        ...(payload === undefined ? {} : { payload: payload as object }),
        headers: { authorization: `Bearer ${key}`, 'accept-language': 'en', ...headers },
      });
    const versions = async (id: string) =>
      (await t.container.handle.db.selectFrom('template_versions').select('version').where('template_id', '=', id).execute()).length;

    it('creates a template (201) and reads it back', async () => {
      const res = await call('POST', '/templates', TEMPLATE_INPUT);
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({
        kind: 'certificate',
        status: 'active',
        version: 1,
        archivedAt: null,
        content: {
          name: TEMPLATE_INPUT.name,
          validity: { unit: 'years', n: 3 },
          defaultLocale: 'fr',
          skills: [
            { name: 'Premiers secours', frameworkUri: TEMPLATE_INPUT.skills[0]!.frameworkUri, code: null },
            { name: 'Travail d’équipe', frameworkUri: null, code: null },
          ],
          fields: [
            { key: 'note', type: 'grade', required: true },
            { key: 'date_examen', type: 'date', required: false },
          ],
        },
      });
      expect(body.achievementId).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      const got = await call('GET', `/templates/${body.id}`);
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual(body);
      // What GET answers can be sent back as is (a round trip through PUT).
      const { content } = got.json();
      const put = await call('PUT', `/templates/${body.id}`, { kind: 'certificate', ...content, expectedVersion: 1 });
      expect(put.statusCode).toBe(200);
      expect(put.json()).toMatchObject({ version: 2, content });
    });

    it('reports domain validation with the field, and refuses unknown fields (mass assignment, Z3)', async () => {
      const noName = await call('POST', '/templates', { ...TEMPLATE_INPUT, name: {} });
      expect(noName.statusCode).toBe(400);
      expect(noName.json()).toMatchObject({ code: 'TEMPLATE_TEXT_REQUIRED', field: 'name.fr' });
      const merge = await call('POST', '/templates', { ...TEMPLATE_INPUT, email: { body: { fr: 'Bonjour {{inconnu}}' } } });
      expect(merge.json()).toMatchObject({ code: 'TEMPLATE_MERGE_FIELD_UNKNOWN', field: 'email.body.fr' });
      const before = (await t.container.store.templates.list(orgA.id)).length;
      for (const extra of [{ orgId: 'x' }, { status: 'archived' }, { version: 7 }, { id: 'mine' }, { createdAt: '2020-01-01T00:00:00Z' }]) {
        const res = await call('POST', '/templates', { ...TEMPLATE_INPUT, ...extra });
        expect(res.statusCode, JSON.stringify(extra)).toBe(400);
        expect(res.json().code).toBe('VALIDATION_FAILED');
      }
      const nested = await call('POST', '/templates', { ...TEMPLATE_INPUT, name: { fr: 'X', de: 'Y' } });
      expect(nested.statusCode).toBe(400);
      expect((await t.container.store.templates.list(orgA.id)).length).toBe(before);
    });

    it('saves new versions, refuses a stale expectedVersion (409), archives and restores', async () => {
      const created = (await call('POST', '/templates', { ...TEMPLATE_INPUT, kind: 'badge' })).json();
      const v2 = await call('PUT', `/templates/${created.id}`, { ...TEMPLATE_INPUT, kind: 'badge', name: { fr: 'Nouveau nom' }, expectedVersion: 1 });
      expect(v2.statusCode).toBe(200);
      expect(v2.json()).toMatchObject({ version: 2, content: { name: { fr: 'Nouveau nom' } } });
      const stale = await call('PUT', `/templates/${created.id}`, { ...TEMPLATE_INPUT, kind: 'badge', expectedVersion: 1 });
      expect(stale.statusCode).toBe(409);
      expect(stale.json().code).toBe('TEMPLATE_CONFLICT');
      const noGuard = await call('PUT', `/templates/${created.id}`, { ...TEMPLATE_INPUT, kind: 'badge' });
      expect(noGuard.json().version).toBe(3);
      expect(await versions(created.id)).toBe(3);
      // The first version is kept unchanged.
      expect((await t.container.store.templates.findVersion(created.id, 2))?.name).toEqual({ fr: 'Nouveau nom' });

      const archived = await call('POST', `/templates/${created.id}/archive`);
      expect(archived.statusCode).toBe(200);
      expect(archived.json()).toMatchObject({ status: 'archived', archivedAt: expect.any(String) });
      const edit = await call('PUT', `/templates/${created.id}`, { ...TEMPLATE_INPUT, kind: 'badge' });
      expect(edit.statusCode).toBe(409);
      expect(edit.json().code).toBe('TEMPLATE_ARCHIVED');
      const listed = (await call('GET', '/templates?status=archived')).json();
      expect(listed.data.map((x: { id: string }) => x.id)).toEqual([created.id]);
      const restored = await call('POST', `/templates/${created.id}/restore`, {});
      expect(restored.json()).toMatchObject({ status: 'active', archivedAt: null });
      expect((await call('GET', '/templates?status=archived')).json().data).toEqual([]);
      const extra = await call('POST', `/templates/${created.id}/archive`, { status: 'active' });
      expect(extra.statusCode).toBe(400);
    });

    it('pages through templates with a cursor, each exactly once', async () => {
      for (let i = 0; i < 5; i++) {
        t.clock.advance(1000);
        expect((await call('POST', '/templates', { ...TEMPLATE_INPUT, name: { fr: `Modèle ${i}` } })).statusCode).toBe(201);
      }
      const all = (await t.container.store.templates.list(orgA.id)).map((x) => x.id).sort();
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await call('GET', `/templates?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.statusCode).toBe(200);
        const body = res.json() as { data: { id: string; createdAt: string }[]; nextCursor: string | null };
        seen.push(...body.data.map((x) => x.id));
        cursor = body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(Math.ceil(all.length / 3));
      expect([...seen].sort()).toEqual(all);
      expect(new Set(seen).size).toBe(seen.length);
      expect((await call('GET', '/templates?cursor=forged.0123')).json().code).toBe('CURSOR_INVALID');
      const kinds = (await call('GET', '/templates?kind=badge')).json().data.map((x: { kind: string }) => x.kind);
      expect(kinds.length).toBeGreaterThan(0);
      expect(new Set(kinds)).toEqual(new Set(['badge']));
    });

    it('answers 404 to another organisation’s key, identical to an unknown id, and changes nothing', async () => {
      const created = (await call('POST', '/templates', TEMPLATE_INPUT)).json();
      const unknown = await call('GET', '/templates/0190f0a2-7c1e-7000-8000-000000000001', undefined, keyB);
      const foreign = await call('GET', `/templates/${created.id}`, undefined, keyB);
      expect(foreign.statusCode).toBe(404);
      expect(foreign.body).toBe(unknown.body);
      expect((await call('PUT', `/templates/${created.id}`, TEMPLATE_INPUT, keyB)).statusCode).toBe(404);
      expect((await call('POST', `/templates/${created.id}/archive`, undefined, keyB)).statusCode).toBe(404);
      expect((await call('GET', '/templates', undefined, keyB)).json().data).toEqual([]);
      const after = (await call('GET', `/templates/${created.id}`)).json();
      expect(after).toMatchObject({ status: 'active', version: 1 });
      expect(await versions(created.id)).toBe(1);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/templates' })).statusCode).toBe(401);
    });

    it('documents every route with its schemas in the OpenAPI', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
      const p = doc.paths;
      expect(p['/api/v1/templates'].get.responses['200'].content['application/json'].schema).toBeDefined();
      expect(p['/api/v1/templates'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
      expect(p['/api/v1/templates'].post.responses['201']).toBeDefined();
      expect(p['/api/v1/templates/{id}'].get.responses['200']).toBeDefined();
      expect(p['/api/v1/templates/{id}'].put.requestBody.content['application/json'].schema.properties.expectedVersion).toBeDefined();
      for (const action of ['archive', 'restore']) {
        expect(p[`/api/v1/templates/{id}/${action}`].post.summary).toEqual(expect.any(String));
        expect(p[`/api/v1/templates/{id}/${action}`].post.tags).toEqual(['templates']);
      }
    });
  });
