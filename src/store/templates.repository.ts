import { type Kysely } from 'kysely';
import type { Template, TemplateContent } from '../domain/templates/model.js';
import type { TemplatesRepository } from '../domain/templates/ports.js';
import { affected, fromDate, fromDateOrNull, parseJson, toDate, toDateOrNull } from './mappers.js';
import type { Database } from './tables.js';

// ---- Templates -----------------------------------------------------------------------------------------

export function templatesRepository(db: Kysely<Database>): TemplatesRepository {
  const base = () =>
    db
      .selectFrom('templates')
      .innerJoin('template_versions', (j) =>
        j.onRef('template_versions.template_id', '=', 'templates.id').onRef('template_versions.version', '=', 'templates.version'),
      )
      .selectAll('templates')
      .select('template_versions.content');
  type Row = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;
  const toTemplate = (r: Row): Template => ({
    id: r.id,
    orgId: r.org_id,
    publicId: r.public_id,
    kind: r.kind as Template['kind'],
    status: r.status as Template['status'],
    version: Number(r.version),
    content: JSON.parse(r.content) as TemplateContent,
    mapping: parseJson(r.mapping),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    archivedAt: toDateOrNull(r.archived_at),
  });
  return {
    async create(t, createdBy) {
      await db
        .insertInto('templates')
        .values({
          id: t.id,
          org_id: t.orgId,
          public_id: t.publicId,
          kind: t.kind,
          status: t.status,
          version: t.version,
          mapping: t.mapping ? JSON.stringify(t.mapping) : null,
          rules: null,
          created_by: createdBy,
          created_at: fromDate(t.createdAt),
          updated_at: fromDate(t.updatedAt),
          archived_at: fromDateOrNull(t.archivedAt),
        })
        .execute();
      await db
        .insertInto('template_versions')
        .values({
          template_id: t.id,
          version: t.version,
          content: JSON.stringify(t.content),
          created_by: createdBy,
          created_at: fromDate(t.createdAt),
        })
        .execute();
    },
    async find(orgId, id) {
      const r = await base().where('templates.org_id', '=', orgId).where('templates.id', '=', id).executeTakeFirst();
      return r && toTemplate(r);
    },
    async list(orgId, options = {}) {
      let q = base().where('templates.org_id', '=', orgId);
      if (options.status) q = q.where('templates.status', '=', options.status);
      return (await q.orderBy('templates.status').orderBy('templates.updated_at', 'desc').orderBy('templates.id', 'desc').execute()).map(toTemplate);
    },
    async findVersion(templateId, version) {
      const r = await db
        .selectFrom('template_versions')
        .select('content')
        .where('template_id', '=', templateId)
        .where('version', '=', version)
        .executeTakeFirst();
      return r ? (JSON.parse(r.content) as TemplateContent) : undefined;
    },
    async addVersion(id, expected, content, kind, createdBy, at) {
      const r = await db
        .updateTable('templates')
        .set({ version: expected + 1, kind, updated_at: fromDate(at) })
        .where('id', '=', id)
        .where('version', '=', expected)
        .executeTakeFirst();
      if (affected(r) !== 1) return false;
      await db
        .insertInto('template_versions')
        .values({
          template_id: id,
          version: expected + 1,
          content: JSON.stringify(content),
          created_by: createdBy,
          created_at: fromDate(at),
        })
        .execute();
      return true;
    },
    async setStatus(id, status, at) {
      await db
        .updateTable('templates')
        .set({ status, updated_at: fromDate(at), archived_at: status === 'archived' ? fromDate(at) : null })
        .where('id', '=', id)
        .execute();
    },
    async saveMapping(id, mapping) {
      await db
        .updateTable('templates')
        .set({ mapping: JSON.stringify(mapping) })
        .where('id', '=', id)
        .execute();
    },
  };
}
