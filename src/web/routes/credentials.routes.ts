/**
 * Console: issued credentials and analytics. Every member reads (reviewers included); admins and staff act (re-send,
 * suspend, reactivate, revoke). The organisation is resolved through the caller's membership and every award is
 * looked up within it, so another organisation's credential answers the same 404 as an unknown id.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { authorize } from '../../domain/shared/policies.js';
import { normalizeDate } from '../../domain/issuance/check-recipients.js';
import { analytics, getAward, getAwardDetail, listAwards, resendAward, setAwardStatus } from '../../domain/credentials/manage-credentials.js';
import { pick } from '../../domain/templates/manage-templates.js';
import { toCsv } from '../../files/csv-export.js';
import { decodeCursor, encodeCursor } from '../../http/api/pagination.js';
import type { AppDeps } from '../../http/deps.js';
import { credentialView, sendCredentialFile } from '../../http/presenters/credential.js';
import type { Messages } from '../../i18n/fr.js';
import { pageContext } from '../layout.js';
import type { FormState } from '../pages/auth.js';
import { CSV_MAX_ROWS, type CredentialFilterValues, analyticsPage, credentialDetailPage, credentialsListPage } from '../pages/credentials.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, statusOf, text, userActor } from './helpers.js';
import type { Organization } from '../../domain/organizations/model.js';
import type { AwardFilter } from '../../domain/issuance/ports.js';

export const PAGE_SIZE = 50;
const DONE = ['issued', 'resent', 'revoked', 'suspended', 'reactivated'] as const;
const STATUS_DONE = { revoked: 'revoked', suspended: 'suspended', active: 'reactivated' } as const;

const filterQuery = {
  q: text(200).optional(),
  template: text(64).optional(),
  status: z.enum(['', 'active', 'suspended', 'revoked']).optional(),
  from: text(30).optional(),
  to: text(30).optional(),
  lang: z.enum(['fr', 'en']).optional(),
};
type FilterQuery = { q?: string; template?: string; status?: '' | 'active' | 'suspended' | 'revoked'; from?: string; to?: string };

/** Typed values → repository filter; a date that is not a date is reported on its field (the filter ignores it). */
function parseFilter(query: FilterQuery, m: Messages): { values: CredentialFilterValues; filter: AwardFilter; errors: Record<string, string> } {
  const values: CredentialFilterValues = {
    q: (query.q ?? '').trim(),
    template: query.template ?? '',
    status: query.status ?? '',
    from: (query.from ?? '').trim(),
    to: (query.to ?? '').trim(),
  };
  const filter: AwardFilter = {};
  const errors: Record<string, string> = {};
  if (values.q) filter.q = values.q;
  if (values.template) filter.templateId = values.template;
  if (values.status) filter.status = values.status as AwardFilter['status'];
  for (const key of ['from', 'to'] as const) {
    if (!values[key]) continue;
    const day = normalizeDate(values[key]);
    if (!day) {
      errors[key] = m.errors.FIELD_DATE_INVALID;
      continue;
    }
    values[key] = day;
    const d = new Date(`${day}T00:00:00Z`);
    // "Until" is inclusive: everything before the next day.
    filter[key] = key === 'to' ? new Date(d.getTime() + 86_400_000) : d;
  }
  return { values, filter, errors };
}

const cursorScope = (org: Organization) => `console-credentials:${org.id}`;

export const credentialsRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const lang = { lang: z.enum(['fr', 'en']).optional() };
  const slugParams = z.object({ slug: text(63) });
  const idParams = z.object({ slug: text(63), id: text(64) });

  app.get(
    '/console/:slug/credentials',
    {
      schema: { ...hide, params: slugParams, querystring: z.object({ ...filterQuery, cursor: text(500).optional() }), response: htmlResponse },
    },
    async (request, reply) => {
      const ctx = pageContext(request);
      const actor = userActor(request);
      const { slug } = request.params;
      // The cursor is bound to the organisation: authorise first (an outsider's 404 comes before a bad cursor).
      const { org } = await authorize(deps, actor, { action: 'credentials.view', slug });
      const { values, filter, errors } = parseFilter(request.query, ctx.m);
      const position = decodeCursor(deps.secrets, request.query.cursor, cursorScope(org));
      const after = position ? { createdAt: new Date(position.t), id: position.id } : undefined;
      if (after && Number.isNaN(after.createdAt.getTime())) throw new AppError('CURSOR_INVALID', {}, { field: 'cursor' });
      const [{ awards: rows, standing }, total, templates] = await Promise.all([
        listAwards(deps, actor, { slug, filter, limit: PAGE_SIZE + 1, after }),
        deps.store.awards.count(org.id, filter),
        deps.store.templates.list(org.id),
      ]);
      const awards = rows.slice(0, PAGE_SIZE);
      const last = awards.at(-1);
      const nextCursor =
        rows.length > PAGE_SIZE && last ? encodeCursor(deps.secrets, { t: last.createdAt.toISOString(), id: last.id }, cursorScope(org)) : null;
      const hasErrors = Object.keys(errors).length > 0;
      return sendHtml(
        reply,
        credentialsListPage(ctx, {
          org,
          standing,
          templates,
          awards,
          total,
          filters: values,
          nextCursor,
          isFirstPage: !after,
          state: hasErrors ? { values: {}, errors } : undefined,
        }),
        hasErrors ? 400 : 200,
      );
    },
  );

  app.get(
    '/console/:slug/credentials.csv',
    {
      schema: {
        ...hide,
        params: slugParams,
        querystring: z.object(filterQuery),
        response: { ...htmlResponse, 200: z.instanceof(Buffer).describe('CSV file (UTF-8 with BOM)') },
      },
    },
    async (request, reply) => {
      const { m } = pageContext(request);
      const actor = userActor(request);
      const { org } = await authorize(deps, actor, { action: 'credentials.view', slug: request.params.slug });
      const { filter, errors } = parseFilter(request.query, m);
      const field = Object.keys(errors)[0];
      if (field) throw new AppError('FIELD_DATE_INVALID', {}, { field });
      const c = m.credentials;
      const rows: (string | number | null)[][] = [];
      let after: { createdAt: Date; id: string } | undefined;
      while (rows.length < CSV_MAX_ROWS) {
        const limit = Math.min(1000, CSV_MAX_ROWS - rows.length);
        const { awards: page } = await listAwards(deps, actor, { slug: org.slug, filter, limit, after });
        for (const a of page) {
          rows.push([
            a.recipient.name,
            a.recipient.email,
            a.recipient.learnerId,
            pick(a.templateName, request.locale),
            a.templateVersion,
            a.credentialId,
            a.createdAt.toISOString(),
            a.validUntil?.toISOString() ?? '',
            c.statuses[a.status],
            a.mailStatus ? c.mail[a.mailStatus] : c.mail.none,
            a.mailAttempts,
            a.mailError,
            a.openedAt?.toISOString() ?? '',
            a.claimedAt?.toISOString() ?? '',
          ]);
        }
        const last = page.at(-1);
        if (page.length < limit || !last) break;
        after = { createdAt: last.createdAt, id: last.id };
      }
      const h = c.csv;
      const csv = toCsv(
        [
          h.name,
          h.email,
          h.learnerId,
          h.template,
          h.version,
          h.credentialId,
          h.issuedAt,
          h.validUntil,
          h.status,
          h.mailStatus,
          h.attempts,
          h.lastError,
          h.openedAt,
          h.claimedAt,
        ],
        rows,
      );
      const day = deps.clock.now().toISOString().slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="attestations-${org.slug}-${day}.csv"`)
        .send(csv);
    },
  );

  async function renderDetail(
    request: FastifyRequest,
    reply: FastifyReply,
    slug: string,
    id: string,
    extra: { notice?: string; state?: FormState; form?: 'resend' | 'suspended' | 'active' | 'revoked' } = {},
    status = 200,
  ) {
    const { org, standing, award, credential, history } = await getAwardDetail(deps, userActor(request), { slug, id });
    // The card presents the stored signed document; the rest of the page is Sceau's record of the issuance.
    const view = credentialView(credential);
    return sendHtml(reply, credentialDetailPage(pageContext(request), { org, standing, award, view, history, ...extra }), status);
  }

  app.get(
    '/console/:slug/credentials/:id',
    {
      schema: { ...hide, params: idParams, querystring: z.object({ ...lang, done: z.enum(DONE).optional() }), response: htmlResponse },
    },
    async (request, reply) => {
      const { m } = pageContext(request);
      const done = request.query.done;
      return renderDetail(request, reply, request.params.slug, request.params.id, { notice: done ? m.credentials.done[done] : undefined });
    },
  );

  app.get(
    '/console/:slug/credentials/:id/credential.json',
    {
      schema: {
        ...hide,
        params: idParams,
        querystring: z.object(lang),
        response: { ...htmlResponse, 200: z.string().describe('The signed credential (JSON)') },
      },
    },
    async (request, reply) => {
      const { award, credential } = await getAwardDetail(deps, userActor(request), { slug: request.params.slug, id: request.params.id });
      return sendCredentialFile(reply, award, credential.document);
    },
  );

  app.post(
    '/console/:slug/credentials/:id/resend',
    {
      schema: { ...hide, params: idParams, body: z.object(csrf), response: redirectResponse },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { slug, id } = request.params;
      // Refusals (404 outsider, 403 reader) are answered before the form: only the re-send's own errors re-render it.
      const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug });
      try {
        const award = await resendAward(deps, actor, { slug, id });
        return reply.redirect(`/console/${org.slug}/credentials/${award.id}?done=resent`, 303);
      } catch (e) {
        return renderDetail(request, reply, slug, id, { state: formState(request, e), form: 'resend' }, statusOf(e));
      }
    },
  );

  app.post(
    '/console/:slug/credentials/:id/status',
    {
      schema: {
        ...hide,
        params: idParams,
        body: z.object({ ...csrf, status: text(20), reason: text(2000).optional(), confirm: text(10).optional() }),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { slug, id } = request.params;
      const { status, reason, confirm } = request.body;
      // 403 for a reader, then 404 for an unknown id (or another organisation's) before the checks below.
      const { org, award } = await getAward(deps, actor, { slug, id, action: 'credentials.issue' });
      const form = status === 'suspended' || status === 'active' || status === 'revoked' ? status : undefined;
      const values = { reason: reason ?? '' };
      if (status === 'revoked' && confirm !== 'on') {
        const { m } = pageContext(request);
        return renderDetail(request, reply, slug, id, { state: { values, errors: { confirm: m.credentials.confirmRequired } }, form }, 400);
      }
      try {
        await setAwardStatus(deps, actor, { slug, id: award.id, status, reason });
        return reply.redirect(`/console/${org.slug}/credentials/${award.id}?done=${STATUS_DONE[status as keyof typeof STATUS_DONE]}`, 303);
      } catch (e) {
        return renderDetail(request, reply, slug, id, { state: formState(request, e, values), form }, statusOf(e));
      }
    },
  );

  app.get(
    '/console/:slug/analytics',
    {
      schema: {
        ...hide,
        params: slugParams,
        querystring: z.object({ ...lang, template: text(64).optional(), days: z.enum(['30', '90', '365']).optional() }),
        response: htmlResponse,
      },
    },
    async (request, reply) => {
      const templateId = request.query.template || null;
      const days = request.query.days ?? '30';
      const { org, standing, totals, days: series } = await analytics(deps, userActor(request), { slug: request.params.slug, templateId, days: Number(days) });
      const data = { totals, days: series };
      const [templates, localMails] = await Promise.all([deps.store.templates.list(org.id), deps.store.overview.localMails(org.id, templateId)]);
      return sendHtml(
        reply,
        analyticsPage(pageContext(request), {
          org,
          standing,
          templates,
          templateId: templateId ?? '',
          days,
          data,
          localMails,
          mailMode: deps.mailMode,
        }),
      );
    },
  );
};
