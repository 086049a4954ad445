import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { authorize } from '../../domain/shared/policies.js';
import { createImport, fixRow, getJob, publishJob, resultsTable, setExcluded, setMapping } from '../../domain/issuance/import-spreadsheet.js';
import { progressOf } from '../../domain/issuance/run-issuance-job.js';
import { pick } from '../../domain/templates/manage-templates.js';
import { toCsv } from '../../files/csv-export.js';
import type { AppDeps } from '../../http/deps.js';
import { localizedMessage } from '../../http/plugins/errors.js';
import { format } from '../../i18n/t.js';
import { pageContext } from '../layout.js';
import { bulkIndexPage, bulkJobPage, rowErrorText } from '../pages/bulk.js';
import { csrf, htmlResponse, redirectResponse, sendHtml, statusOf, text, userActor } from './helpers.js';

const DONE = ['fixed', 'saved', 'excludedDone'] as const;
const PREVIEW_ROWS = 5;
const REPORT_ROWS = 100;
const RESULT_ROWS = 200;
const SSE_TICK_MS = 1000;
const SSE_MAX_MS = 15 * 60_000;

/** A signed-in person's standing in an organisation is always a member's role (what the console header shows). */
/** Bulk issuance console: upload, columns, row report, fixes, publish, live progress, results. */
export const bulkRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const lang = { lang: z.enum(['fr', 'en']).optional() };
  const slugParams = z.object({ slug: text(63) });
  const jobParams = z.object({ slug: text(63), jobId: text(64) });
  const rowParams = z.object({ slug: text(63), jobId: text(64), rowNo: z.coerce.number().int().min(1).max(10_000_000) });

  async function renderIndex(request: FastifyRequest, reply: FastifyReply, extra: { error?: string; templateId?: string } = {}, status = 200) {
    const { org, standing } = await authorize(deps, userActor(request), { action: 'credentials.view', slug: (request.params as { slug: string }).slug });
    const templates = await deps.store.templates.list(org.id);
    const jobs = await deps.store.issuanceJobs.listForOrg(org.id, 50);
    const templateNames = new Map(templates.map((t) => [t.id, pick(t.content.name, request.locale)]));
    return sendHtml(reply, bulkIndexPage(pageContext(request), { org, standing, templates, jobs, templateNames, ...extra }), status);
  }

  async function renderJob(request: FastifyRequest, reply: FastifyReply, extra: { notice?: string; error?: string } = {}, status = 200) {
    const { slug, jobId } = request.params as { slug: string; jobId: string };
    const view = await getJob(deps, userActor(request), { slug, jobId });
    const repo = deps.store.issuanceJobs;
    const draft = view.job.status === 'draft';
    const [invalid, excluded, preview, results] = await Promise.all([
      draft ? repo.listRows(jobId, { status: ['invalid'], limit: REPORT_ROWS }) : [],
      draft ? repo.listRows(jobId, { status: ['excluded'], limit: REPORT_ROWS }) : [],
      draft ? repo.listRows(jobId, { status: ['valid'], limit: PREVIEW_ROWS }) : [],
      view.job.status === 'completed' ? repo.listRows(jobId, { limit: RESULT_ROWS }) : [],
    ]);
    const credentialIds = new Map(results.filter((r) => r.credentialRowId).map((r) => [r.rowNo, r.credentialRowId!]));
    return sendHtml(
      reply,
      bulkJobPage(pageContext(request), {
        org: view.scope.org,
        standing: view.scope.standing,
        view,
        invalid,
        excluded,
        preview,
        results,
        credentialIds,
        ...extra,
      }),
      status,
    );
  }

  app.get('/console/:slug/bulk', { schema: { ...hide, params: slugParams, querystring: z.object(lang), response: htmlResponse } }, async (request, reply) =>
    renderIndex(request, reply),
  );

  app.post(
    '/console/:slug/bulk',
    {
      schema: {
        ...hide,
        params: slugParams,
        // Multipart: fields arrive as strings, the file as a Buffer (src/web/routes/index.ts).
        body: z.object({ ...csrf, templateId: text(64), file: z.instanceof(Buffer).optional() }),
        response: { ...redirectResponse, 413: z.string() },
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { slug } = request.params;
      await authorize(deps, actor, { action: 'credentials.issue', slug });
      try {
        if (!request.body.file?.length) throw new AppError('IMPORT_EMPTY');
        const job = await createImport(deps, actor, { slug, templateId: request.body.templateId, bytes: request.body.file });
        return reply.redirect(`/console/${slug}/bulk/${job.id}`, 303);
      } catch (e) {
        if (!(e instanceof AppError) || e.code === 'NOT_FOUND') throw e;
        return renderIndex(request, reply, { error: localizedMessage(e, request.locale, request.id), templateId: request.body.templateId }, statusOf(e));
      }
    },
  );

  app.get(
    '/console/:slug/bulk/:jobId',
    { schema: { ...hide, params: jobParams, querystring: z.object({ ...lang, done: z.enum(DONE).optional() }), response: htmlResponse } },
    async (request, reply) => {
      const done = request.query.done;
      return renderJob(request, reply, { notice: done ? pageContext(request).m.bulk[done] : undefined });
    },
  );

  /** Runs a change to a draft job; domain errors re-render the job page with the message. */
  async function change(request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>, done: (typeof DONE)[number], anchor = '') {
    const { slug, jobId } = request.params as { slug: string; jobId: string };
    try {
      await work();
      return reply.redirect(`/console/${slug}/bulk/${jobId}?done=${done}${anchor}`, 303);
    } catch (e) {
      if (!(e instanceof AppError) || e.code === 'NOT_FOUND' || e.code === 'FORBIDDEN') throw e;
      return renderJob(request, reply, { error: localizedMessage(e, request.locale, request.id) }, statusOf(e));
    }
  }

  app.post(
    '/console/:slug/bulk/:jobId/mapping',
    {
      schema: {
        ...hide,
        params: jobParams,
        body: z.record(z.string().max(200), z.string().max(100)).refine((o) => Object.keys(o).length <= 300),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { slug, jobId } = request.params;
      const view = await getJob(deps, actor, { slug, jobId, action: 'credentials.issue' });
      const mapping: Record<string, string> = {};
      view.job.headers.forEach((h, i) => {
        const v = request.body[`map.${i}`];
        if (v) mapping[h] = v;
      });
      return change(request, reply, () => setMapping(deps, actor, { slug, jobId, mapping }), 'saved');
    },
  );

  app.post(
    '/console/:slug/bulk/:jobId/rows/:rowNo',
    {
      schema: {
        ...hide,
        params: rowParams,
        body: z.record(z.string().max(200), z.string().max(2000)).refine((o) => Object.keys(o).length <= 100),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { slug, jobId, rowNo } = request.params;
      await getJob(deps, actor, { slug, jobId, action: 'credentials.issue' });
      const { _csrf, ...values } = request.body;
      void _csrf;
      return change(request, reply, () => fixRow(deps, actor, { slug, jobId, rowNo, values }), 'fixed');
    },
  );

  for (const [action, excluded] of [
    ['exclude', true],
    ['include', false],
  ] as const) {
    app.post(
      `/console/:slug/bulk/:jobId/rows/:rowNo/${action}`,
      { schema: { ...hide, params: rowParams, body: z.object(csrf), response: redirectResponse } },
      async (request, reply) => {
        const actor = userActor(request);
        const { slug, jobId, rowNo } = request.params;
        await getJob(deps, actor, { slug, jobId, action: 'credentials.issue' });
        return change(request, reply, () => setExcluded(deps, actor, { slug, jobId, rows: { rowNo }, excluded }), 'excludedDone');
      },
    );
  }

  app.post(
    '/console/:slug/bulk/:jobId/exclude-invalid',
    { schema: { ...hide, params: jobParams, body: z.object(csrf), response: redirectResponse } },
    async (request, reply) => {
      const actor = userActor(request);
      const { slug, jobId } = request.params;
      await getJob(deps, actor, { slug, jobId, action: 'credentials.issue' });
      return change(request, reply, () => setExcluded(deps, actor, { slug, jobId, rows: 'invalid', excluded: true }), 'excludedDone');
    },
  );

  app.post(
    '/console/:slug/bulk/:jobId/publish',
    { schema: { ...hide, params: jobParams, body: z.object(csrf), response: redirectResponse } },
    async (request, reply) => {
      const actor = userActor(request);
      const { slug, jobId } = request.params;
      await getJob(deps, actor, { slug, jobId, action: 'credentials.issue' });
      try {
        await publishJob(deps, actor, { slug, jobId });
        return reply.redirect(`/console/${slug}/bulk/${jobId}`, 303);
      } catch (e) {
        if (!(e instanceof AppError) || e.code === 'NOT_FOUND' || e.code === 'FORBIDDEN') throw e;
        return renderJob(request, reply, { error: localizedMessage(e, request.locale, request.id) }, statusOf(e));
      }
    },
  );

  // Live progress as server-sent events: one `progress` event per second until the job completes (or 15 min).
  app.get(
    '/console/:slug/bulk/:jobId/events',
    {
      schema: { ...hide, params: jobParams, response: { 200: z.string().describe('text/event-stream'), 401: z.string(), 404: z.string() } },
    },
    async (request, reply) => {
      const { slug, jobId } = request.params;
      const first = await getJob(deps, userActor(request), { slug, jobId });
      const m = pageContext(request).m;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        connection: 'keep-alive',
      });
      const send = (view: typeof first) => {
        const p = progressOf(view.job, view.counts);
        const label = format(m.bulk.progress, { done: p.done, total: p.total, percent: p.percent });
        res.write(`event: progress\ndata: ${JSON.stringify({ ...p, label })}\n\n`);
        return p.status === 'queued' || p.status === 'running';
      };
      let open = send(first);
      const started = Date.now();
      let closed = false;
      request.raw.on('close', () => {
        closed = true;
      });
      while (open && !closed && Date.now() - started < SSE_MAX_MS) {
        await new Promise((r) => setTimeout(r, SSE_TICK_MS));
        if (closed) break;
        const job = await deps.store.issuanceJobs.findById(jobId);
        if (!job) break;
        open = send({ ...first, job, counts: await deps.store.issuanceJobs.counts(jobId) });
      }
      res.end();
    },
  );

  app.get(
    '/console/:slug/bulk/:jobId/results.csv',
    { schema: { ...hide, params: jobParams, querystring: z.object(lang), response: { 200: z.any(), 401: z.string(), 404: z.string() } } },
    async (request, reply) => {
      const { slug, jobId } = request.params;
      const view = await getJob(deps, userActor(request), { slug, jobId });
      const rows = await deps.store.issuanceJobs.listRows(jobId);
      const awards = await deps.store.awards.byJob(jobId);
      const ctx = pageContext(request);
      const table = resultsTable(view, rows, {
        awards: new Map([...awards].map(([k, a]) => [k, { credentialId: a.credentialId, mailStatus: a.mailStatus }])),
        locale: request.locale,
        reason: (code) => rowErrorText(ctx, { target: '', code }),
      });
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sceau-lot-${jobId.slice(0, 8)}.csv"`)
        .header('cache-control', 'no-store')
        .send(toCsv(table.headers, table.rows));
    },
  );
};
