import { type Kysely, type Selectable, type SelectQueryBuilder, sql } from 'kysely';
import type { Award, AwardView, IssuanceJob, IssuanceRow, JobCounts, Recipient, RowError, RowStatus } from '../domain/issuance/model.js';
import type { AwardFilter, AwardsRepository, IssuanceJobsRepository } from '../domain/issuance/ports.js';
import type { Locale } from '../domain/shared/model.js';
import type { TemplateContent } from '../domain/templates/model.js';
import { affected, fromDate, fromDateOrNull, inSlices, parseJson, toDate, toDateOrNull } from './mappers.js';
import type { Database, IssuanceJobsTable, IssuanceRowsTable } from './tables.js';

// ---- Templates -----------------------------------------------------------------------------------------

// ---- Awards --------------------------------------------------------------------------------------------

function awardQuery(db: Kysely<Database>) {
  return db
    .selectFrom('awards')
    .innerJoin('credentials', 'credentials.id', 'awards.id')
    .innerJoin('template_versions', (j) =>
      j.onRef('template_versions.template_id', '=', 'awards.template_id').onRef('template_versions.version', '=', 'awards.template_version'),
    )
    .leftJoin('mail_outbox', 'mail_outbox.id', 'awards.mail_id')
    .selectAll('awards')
    .select([
      'credentials.credential_id',
      'credentials.revoked_at',
      'credentials.suspended_at',
      'credentials.valid_until',
      'template_versions.content',
      'mail_outbox.status as mail_status',
      'mail_outbox.attempts as mail_attempts',
      'mail_outbox.last_error as mail_error',
    ]);
}
type AwardRow = Awaited<ReturnType<ReturnType<typeof awardQuery>['executeTakeFirstOrThrow']>>;

const toAwardView = (r: AwardRow): AwardView => ({
  id: r.id,
  orgId: r.org_id,
  templateId: r.template_id,
  templateVersion: Number(r.template_version),
  jobId: r.job_id,
  rowNo: r.row_no === null ? null : Number(r.row_no),
  recipient: {
    name: r.recipient_name,
    email: r.recipient_email,
    learnerId: r.learner_id,
    locale: r.locale as Locale,
    fields: JSON.parse(r.fields) as Record<string, string>,
  },
  holderUserId: r.holder_user_id,
  linkTokenHash: r.link_token_hash,
  mailId: r.mail_id,
  openedAt: toDateOrNull(r.opened_at),
  claimedAt: toDateOrNull(r.claimed_at),
  createdAt: toDate(r.created_at),
  credentialId: r.credential_id,
  templateName: (JSON.parse(r.content) as TemplateContent).name,
  status: r.revoked_at ? 'revoked' : r.suspended_at ? 'suspended' : 'active',
  mailStatus: (r.mail_status as AwardView['mailStatus']) ?? null,
  mailAttempts: Number(r.mail_attempts ?? 0),
  mailError: r.mail_error ?? null,
  validUntil: toDateOrNull(r.valid_until),
});

// Shared by queries over different joins: the builder is generic, so its DB and table types are left open.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function filtered<QB extends SelectQueryBuilder<any, any, any>>(q: QB, orgId: string, f: AwardFilter): QB {
  let out = q.where('awards.org_id', '=', orgId) as QB;
  if (f.templateId) out = out.where('awards.template_id', '=', f.templateId) as QB;
  if (f.status === 'revoked') out = out.where('credentials.revoked_at', 'is not', null) as QB;
  if (f.status === 'suspended') out = out.where('credentials.revoked_at', 'is', null).where('credentials.suspended_at', 'is not', null) as QB;
  if (f.status === 'active') out = out.where('credentials.revoked_at', 'is', null).where('credentials.suspended_at', 'is', null) as QB;
  if (f.from) out = out.where('awards.created_at', '>=', fromDate(f.from)) as QB;
  if (f.to) out = out.where('awards.created_at', '<', fromDate(f.to)) as QB;
  if (f.q) {
    const like = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    out = out.where((eb) =>
      eb.or([
        sql`lower(awards.recipient_name) like ${like} escape '\\'`,
        sql`lower(awards.recipient_email) like ${like} escape '\\'`,
        sql`lower(coalesce(awards.learner_id, '')) like ${like} escape '\\'`,
      ]),
    ) as QB;
  }
  return out;
}

export function awardsRepository(db: Kysely<Database>): AwardsRepository {
  return {
    async createMany(awards: Award[]) {
      await inSlices(awards, (slice) =>
        db
          .insertInto('awards')
          .values(
            slice.map((a) => ({
              id: a.id,
              org_id: a.orgId,
              template_id: a.templateId,
              template_version: a.templateVersion,
              job_id: a.jobId,
              row_no: a.rowNo,
              recipient_name: a.recipient.name,
              recipient_email: a.recipient.email,
              learner_id: a.recipient.learnerId,
              locale: a.recipient.locale,
              fields: JSON.stringify(a.recipient.fields),
              holder_user_id: a.holderUserId,
              link_token_hash: a.linkTokenHash,
              mail_id: a.mailId,
              opened_at: fromDateOrNull(a.openedAt),
              claimed_at: fromDateOrNull(a.claimedAt),
              created_at: fromDate(a.createdAt),
            })),
          )
          .execute(),
      );
    },
    async find(orgId, id) {
      const r = await awardQuery(db).where('awards.org_id', '=', orgId).where('awards.id', '=', id).executeTakeFirst();
      return r && toAwardView(r);
    },
    async findByCredentialId(credentialId) {
      const full = credentialId.startsWith('urn:uuid:') ? credentialId : `urn:uuid:${credentialId}`;
      const r = await awardQuery(db).where('credentials.credential_id', '=', full).executeTakeFirst();
      return r && toAwardView(r);
    },
    async list(orgId, filter, page) {
      let q = filtered(awardQuery(db), orgId, filter);
      if (page.after) {
        const t = fromDate(page.after.createdAt);
        const id = page.after.id;
        q = q.where((eb) => eb.or([eb('awards.created_at', '<', t), eb.and([eb('awards.created_at', '=', t), eb('awards.id', '<', id)])]));
      }
      return (await q.orderBy('awards.created_at', 'desc').orderBy('awards.id', 'desc').limit(page.limit).execute()).map(toAwardView);
    },
    async count(orgId, filter) {
      const q = filtered(db.selectFrom('awards').innerJoin('credentials', 'credentials.id', 'awards.id'), orgId, filter);
      const r = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    async listForHolder(userId) {
      return (await awardQuery(db).where('awards.holder_user_id', '=', userId).orderBy('awards.created_at', 'desc').limit(500).execute()).map(toAwardView);
    },
    async setMail(id, mailId) {
      await db.updateTable('awards').set({ mail_id: mailId }).where('id', '=', id).execute();
    },
    async setLink(id, linkTokenHash, mailId) {
      await db.updateTable('awards').set({ link_token_hash: linkTokenHash, mail_id: mailId }).where('id', '=', id).execute();
    },
    async findByMailId(mailId) {
      const r = await awardQuery(db).where('awards.mail_id', '=', mailId).executeTakeFirst();
      return r && toAwardView(r);
    },
    async markOpened(id, at) {
      return (
        affected(
          await db
            .updateTable('awards')
            .set({ opened_at: fromDate(at) })
            .where('id', '=', id)
            .where('opened_at', 'is', null)
            .executeTakeFirst(),
        ) === 1
      );
    },
    async claim(id, userId, at) {
      return (
        affected(
          await db
            .updateTable('awards')
            .set({ holder_user_id: userId, claimed_at: fromDate(at) })
            .where('id', '=', id)
            .where('holder_user_id', 'is', null)
            .executeTakeFirst(),
        ) === 1
      );
    },
    async verifiedAccounts(emails) {
      const out = new Map<string, string>();
      for (let i = 0; i < emails.length; i += 500) {
        const slice = emails.slice(i, i + 500);
        if (!slice.length) continue;
        const rows = await db.selectFrom('user_emails').select(['email', 'user_id']).where('email', 'in', slice).where('verified_at', 'is not', null).execute();
        for (const r of rows) out.set(r.email, r.user_id);
      }
      return out;
    },
    async byJob(jobId) {
      const rows = await awardQuery(db).where('awards.job_id', '=', jobId).execute();
      return new Map(rows.map((r) => [Number(r.row_no), toAwardView(r)]));
    },
  };
}

// ---- Bulk issuance jobs ----------------------------------------------------------------------------------

const toJob = (r: Selectable<IssuanceJobsTable>): IssuanceJob => ({
  id: r.id,
  orgId: r.org_id,
  templateId: r.template_id,
  templateVersion: Number(r.template_version),
  source: r.source as IssuanceJob['source'],
  filename: r.filename,
  status: r.status as IssuanceJob['status'],
  headers: parseJson<string[]>(r.headers) ?? [],
  mapping: parseJson(r.mapping),
  totalRows: Number(r.total_rows),
  issuedCount: Number(r.issued_count),
  failedCount: Number(r.failed_count),
  createdBy: r.created_by,
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
  queuedAt: toDateOrNull(r.queued_at),
  heartbeatAt: toDateOrNull(r.heartbeat_at),
  completedAt: toDateOrNull(r.completed_at),
});
const toRow = (r: Selectable<IssuanceRowsTable>): IssuanceRow => ({
  jobId: r.job_id,
  rowNo: Number(r.row_no),
  cells: JSON.parse(r.cells) as string[],
  data: parseJson<Recipient>(r.data),
  errors: parseJson<RowError[]>(r.errors) ?? [],
  status: r.status as RowStatus,
  credentialRowId: r.credential_row_id,
  error: r.error,
});

export function issuanceJobsRepository(db: Kysely<Database>): IssuanceJobsRepository {
  return {
    async create(j) {
      await db
        .insertInto('issuance_jobs')
        .values({
          id: j.id,
          org_id: j.orgId,
          template_id: j.templateId,
          template_version: j.templateVersion,
          source: j.source,
          filename: j.filename,
          status: j.status,
          headers: JSON.stringify(j.headers),
          mapping: j.mapping ? JSON.stringify(j.mapping) : null,
          total_rows: j.totalRows,
          issued_count: j.issuedCount,
          failed_count: j.failedCount,
          created_by: j.createdBy,
          created_at: fromDate(j.createdAt),
          updated_at: fromDate(j.updatedAt),
          queued_at: fromDateOrNull(j.queuedAt),
          heartbeat_at: fromDateOrNull(j.heartbeatAt),
          completed_at: fromDateOrNull(j.completedAt),
        })
        .execute();
    },
    async find(orgId, id) {
      const r = await db.selectFrom('issuance_jobs').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      return r && toJob(r);
    },
    async findById(id) {
      const r = await db.selectFrom('issuance_jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toJob(r);
    },
    async listForOrg(orgId, limit) {
      return (
        await db.selectFrom('issuance_jobs').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
      ).map(toJob);
    },
    async update(id, p) {
      const set: Partial<Record<keyof IssuanceJobsTable, unknown>> = {};
      if (p.status !== undefined) set.status = p.status;
      if (p.mapping !== undefined) set.mapping = p.mapping ? JSON.stringify(p.mapping) : null;
      if (p.totalRows !== undefined) set.total_rows = p.totalRows;
      if (p.issuedCount !== undefined) set.issued_count = p.issuedCount;
      if (p.failedCount !== undefined) set.failed_count = p.failedCount;
      if (p.queuedAt !== undefined) set.queued_at = fromDateOrNull(p.queuedAt);
      if (p.completedAt !== undefined) set.completed_at = fromDateOrNull(p.completedAt);
      if (p.heartbeatAt !== undefined) set.heartbeat_at = fromDateOrNull(p.heartbeatAt);
      if (p.updatedAt !== undefined) set.updated_at = fromDate(p.updatedAt);
      if (Object.keys(set).length)
        await db
          .updateTable('issuance_jobs')
          .set(set as never)
          .where('id', '=', id)
          .execute();
    },
    async transition(id, from, to, at) {
      const r = await db
        .updateTable('issuance_jobs')
        .set({ status: to, updated_at: fromDate(at) })
        .where('id', '=', id)
        .where('status', 'in', from)
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async insertRows(rows) {
      // Chunks keep every statement under SQLite's 32,766 bound-parameter limit.
      for (let i = 0; i < rows.length; i += 500) {
        await db
          .insertInto('issuance_rows')
          .values(
            rows.slice(i, i + 500).map((r) => ({
              job_id: r.jobId,
              row_no: r.rowNo,
              cells: JSON.stringify(r.cells),
              data: r.data ? JSON.stringify(r.data) : null,
              errors: r.errors.length ? JSON.stringify(r.errors) : null,
              status: r.status,
              credential_row_id: r.credentialRowId,
              error: r.error,
            })),
          )
          .execute();
      }
    },
    async updateRows(rows) {
      for (const r of rows) {
        await db
          .updateTable('issuance_rows')
          .set({
            data: r.data ? JSON.stringify(r.data) : null,
            errors: r.errors.length ? JSON.stringify(r.errors) : null,
            status: r.status,
          })
          .where('job_id', '=', r.jobId)
          .where('row_no', '=', r.rowNo)
          .execute();
      }
    },
    async listRows(jobId, o = {}) {
      let q = db.selectFrom('issuance_rows').selectAll().where('job_id', '=', jobId);
      if (o.status?.length) q = q.where('status', 'in', o.status);
      if (o.afterRowNo !== undefined) q = q.where('row_no', '>', o.afterRowNo);
      if (o.part) q = q.where(sql<number>`row_no % ${o.part.of}`, '=', o.part.index);
      q = q.orderBy('row_no');
      if (o.limit) q = q.limit(o.limit);
      return (await q.execute()).map(toRow);
    },
    async updateRowCells(jobId, rowNo, cells) {
      await db
        .updateTable('issuance_rows')
        .set({ cells: JSON.stringify(cells) })
        .where('job_id', '=', jobId)
        .where('row_no', '=', rowNo)
        .execute();
    },
    async listUnfinished(limit) {
      return (await db.selectFrom('issuance_jobs').selectAll().where('status', 'in', ['queued', 'running']).orderBy('created_at').limit(limit).execute()).map(
        toJob,
      );
    },
    async findRow(jobId, rowNo) {
      const r = await db.selectFrom('issuance_rows').selectAll().where('job_id', '=', jobId).where('row_no', '=', rowNo).executeTakeFirst();
      return r && toRow(r);
    },
    async setRowsStatus(jobId, from, to) {
      return affected(await db.updateTable('issuance_rows').set({ status: to }).where('job_id', '=', jobId).where('status', '=', from).executeTakeFirst());
    },
    async markRowsIssued(jobId, rows) {
      const issued = new Set<number>();
      await inSlices(rows, async (slice) => {
        const cases = sql.join(
          slice.map((r) => sql`when ${r.rowNo} then ${r.credentialRowId}`),
          sql` `,
        );
        const done = await db
          .updateTable('issuance_rows')
          .set({ status: 'issued', credential_row_id: sql<string>`case row_no ${cases} end`, error: null })
          .where('job_id', '=', jobId)
          .where(
            'row_no',
            'in',
            slice.map((r) => r.rowNo),
          )
          .where('status', '=', 'pending')
          .returning('row_no')
          .execute();
        for (const r of done) issued.add(Number(r.row_no));
      });
      return issued;
    },
    async markRowFailed(jobId, rowNo, error) {
      await db
        .updateTable('issuance_rows')
        .set({ status: 'failed', error: error.slice(0, 500) })
        .where('job_id', '=', jobId)
        .where('row_no', '=', rowNo)
        .where('status', '=', 'pending')
        .execute();
    },
    async counts(jobId) {
      const rows = await db
        .selectFrom('issuance_rows')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('job_id', '=', jobId)
        .groupBy('status')
        .execute();
      const c: JobCounts = { total: 0, invalid: 0, valid: 0, excluded: 0, pending: 0, issued: 0, failed: 0 };
      for (const r of rows) {
        const n = Number(r.n);
        c.total += n;
        if (r.status in c) c[r.status as RowStatus] += n;
      }
      return c;
    },
  };
}

// ---- Credential events (analytics) -------------------------------------------------------------------------
