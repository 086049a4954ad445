/**
 * `/api/v1/issuance-jobs`: issuing many credentials at once. The records are checked by the same recipient check as
 * the rows of a CSV upload (same rules, same duplicate e-mail rule); any invalid record answers 422 RECIPIENTS_INVALID with the
 * report of every record and creates no job. A valid batch becomes a published job that the worker issues in the
 * background, every record exactly once; poll `GET /issuance-jobs/{id}` for its progress (or subscribe to the
 * `job.completed` webhook) and read per-record results at `GET /issuance-jobs/{id}/rows`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { API_JOB_MAX, createApiJob } from '../../domain/issuance/issue-from-api.js';
import { RecipientsInvalidError } from '../../domain/issuance/check-recipients.js';
import { progressOf } from '../../domain/issuance/run-issuance-job.js';
import type { AppDeps } from '../deps.js';
import { decodeCursor, encodeCursor, page, pageQuery } from './pagination.js';
import { problemResponses } from './schemas.js';
import { IdParams, apiCaller } from './caller.js';
import { RecipientSchema, RecipientsProblemSchema, sendRecipientsProblem } from './recipients.js';
import type { IssuanceJob, IssuanceRow, JobCounts } from '../../domain/issuance/model.js';

// ---- Jobs ------------------------------------------------------------------------------------------------------------

export const JobSchema = z
  .object({
    id: z.string(),
    templateId: z.string(),
    templateVersion: z.number().int(),
    source: z.enum(['csv', 'xlsx', 'api']),
    status: z.enum(['draft', 'queued', 'running', 'completed', 'cancelled']),
    total: z.number().int().describe('Records (rows) in the job'),
    counts: z.object({
      pending: z.number().int(),
      issued: z.number().int(),
      failed: z.number().int(),
      invalid: z.number().int(),
      valid: z.number().int(),
      excluded: z.number().int(),
    }),
    progress: z.object({
      done: z.number().int(),
      total: z.number().int(),
      percent: z.number().int().describe('0–100; 100 once completed'),
    }),
    createdAt: z.string(),
    queuedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
  })
  .describe('Issuance job');

export const presentJob = (job: IssuanceJob, counts: JobCounts) => {
  const p = progressOf(job, counts);
  return {
    id: job.id,
    templateId: job.templateId,
    templateVersion: job.templateVersion,
    source: job.source,
    status: job.status,
    total: job.totalRows,
    counts: { pending: counts.pending, issued: counts.issued, failed: counts.failed, invalid: counts.invalid, valid: counts.valid, excluded: counts.excluded },
    progress: { done: p.done, total: p.total, percent: p.percent },
    createdAt: job.createdAt.toISOString(),
    queuedAt: job.queuedAt?.toISOString() ?? null,
    completedAt: job.completedAt?.toISOString() ?? null,
  };
};

const ROW_STATUSES = ['invalid', 'valid', 'excluded', 'pending', 'issued', 'failed'] as const;

const JobRowSchema = z
  .object({
    rowNo: z.number().int().describe('For API jobs: the position of the record in `recipients` + 1; for files: the line'),
    status: z.enum(ROW_STATUSES),
    recipient: z.object({ name: z.string(), email: z.string() }).nullable(),
    credential: z
      .object({
        id: z.string().describe('For GET /api/v1/credentials/{id}'),
        credentialId: z.string().describe('The credential’s own id (`urn:uuid:…`)'),
      })
      .nullable()
      .describe('Once issued'),
    error: z.string().nullable().describe('Why issuing this row failed (an error code)'),
    errors: z.array(z.object({ target: z.string(), code: z.string() })).describe('Validation problems (file jobs only)'),
  })
  .describe('Row of an issuance job');

export const issuanceApiRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const security = [{ apiKey: [] }];
  const tags = ['issuance'];

  const findJob = async (orgId: string, id: string) => {
    const job = await deps.store.issuanceJobs.find(orgId, id);
    if (!job) throw new AppError('NOT_FOUND');
    return job;
  };

  app.post(
    '/issuance-jobs',
    {
      schema: {
        summary: `Issue credentials to many recipients in the background (1–${API_JOB_MAX.toLocaleString('en')} per job)`,
        tags,
        security,
        description:
          'Every recipient is checked first, exactly like the rows of a CSV upload in the console: any invalid ' +
          'recipient (or two with the same e-mail) answers 422 RECIPIENTS_INVALID listing every problem in `items`, and ' +
          'no job is created. Otherwise the job is published at once (202) and the worker issues each recipient exactly ' +
          'once and e-mails them their link. The JSON body is limited to 1 MiB (about 10,000 short records): send larger ' +
          'batches as several jobs, or upload a CSV/XLSX file (up to 100,000 rows) in the console. Retry safely with an ' +
          '`Idempotency-Key`. Holder links are never returned by the API: they are only e-mailed to the recipients.',
        body: z
          .object({
            templateId: z.string().min(1).max(64),
            recipients: z.array(RecipientSchema).min(1).max(API_JOB_MAX),
          })
          .strict(),
        response: { 202: JobSchema, ...problemResponses, 422: RecipientsProblemSchema },
      },
    },
    async (request, reply) => {
      const { actor } = apiCaller(request);
      try {
        const job = await createApiJob(deps, actor, { templateId: request.body.templateId, recipients: request.body.recipients });
        return reply.code(202).send(presentJob(job, await deps.store.issuanceJobs.counts(job.id)));
      } catch (err) {
        if (err instanceof RecipientsInvalidError) return sendRecipientsProblem(request, reply, err);
        throw err;
      }
    },
  );

  app.get(
    '/issuance-jobs/:id',
    {
      schema: {
        summary: 'Status and progress of an issuance job',
        tags,
        security,
        params: IdParams,
        response: { 200: JobSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { org } = apiCaller(request);
      const job = await findJob(org.id, request.params.id);
      return presentJob(job, await deps.store.issuanceJobs.counts(job.id));
    },
  );

  app.get(
    '/issuance-jobs/:id/rows',
    {
      schema: {
        summary: 'Per-row results of an issuance job, in row order',
        tags,
        security,
        params: IdParams,
        querystring: z.object({ ...pageQuery, status: z.enum(ROW_STATUSES).optional() }),
        response: { 200: page(JobRowSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { org } = apiCaller(request);
      const job = await findJob(org.id, request.params.id);
      const { limit, cursor, status } = request.query;
      const scope = 'issuance-rows';
      const after = decodeCursor(deps.secrets, cursor, scope);
      if (after && (after.id !== job.id || !/^\d{1,9}$/.test(after.t))) throw new AppError('CURSOR_INVALID', {}, { field: 'cursor' });
      const rows = await deps.store.issuanceJobs.listRows(job.id, {
        ...(status ? { status: [status] } : {}),
        afterRowNo: after ? Number(after.t) : 0,
        limit: limit + 1,
      });
      const items = rows.slice(0, limit);
      const data = [];
      for (const r of items) data.push(await presentRow(org.id, r));
      const last = items[items.length - 1];
      return { data, nextCursor: rows.length > limit && last ? encodeCursor(deps.secrets, { t: String(last.rowNo), id: job.id }, scope) : null };
    },
  );

  async function presentRow(orgId: string, r: IssuanceRow) {
    const award = r.credentialRowId ? await deps.store.awards.find(orgId, r.credentialRowId) : undefined;
    return {
      rowNo: r.rowNo,
      status: r.status,
      recipient: r.data ? { name: r.data.name, email: r.data.email } : null,
      credential: award ? { id: award.id, credentialId: award.credentialId } : null,
      error: r.error,
      errors: r.errors.map((e) => ({ target: e.target, code: e.code })),
    };
  }
};
