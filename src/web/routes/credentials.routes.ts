/**
 * Console: issued credentials and analytics. Every member reads (reviewers included); admins and staff act (re-send,
 * suspend, reactivate, revoke). The organisation is resolved through the caller's membership and every award is
 * looked up within it, so another organisation's credential answers the same 404 as an unknown id.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { Organization } from '../../domain/model.js';
import { requireOrgRole } from '../../domain/organizations.js';
import { normalizeDate } from '../../domain/templates/awarding.js';
import { analytics, getAward, listAwards, resendAward, setAwardStatus, statusHistory } from '../../domain/templates/manage.js';
import type { AwardView } from '../../domain/templates/model.js';
import type { AwardFilter } from '../../domain/templates/ports.js';
import { ISSUER_ROLES, READER_ROLES, pick } from '../../domain/templates/templates.js';
import { toCsv } from '../../files/csv-export.js';
import { decodeCursor, encodeCursor } from '../../http/api/pagination.js';
import type { AppDeps } from '../../http/deps.js';
import type { Messages } from '../../i18n/fr.js';
import { pageContext } from '../layout.js';
import type { FormState } from '../pages/auth.js';
import { type CardView, cardFromTemplate } from '../pages/credential-card.js';
import {
  CSV_MAX_ROWS, type CredentialFilterValues, analyticsPage, credentialDetailPage, credentialsListPage,
} from '../pages/credentials.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, statusOf, text, userActor } from './helpers.js';

export const PAGE_SIZE = 50;
const DONE = ['issued', 'resent', 'revoked', 'suspended', 'reactivated'] as const;
const STATUS_DONE = { revoked: 'revoked', suspended: 'suspended', active: 'reactivated' } as const;

/** The card of an issued credential: its template version as issued, with the stored dates and status. */
export async function awardCard(deps: AppDeps, org: Organization, award: AwardView): Promise<CardView | null> {
  const [template, content] = await Promise.all([
    deps.store.templates.find(org.id, award.templateId),
    deps.store.templates.findVersion(award.templateId, award.templateVersion),
  ]);
  if (!template || !content) return null;
  const view = cardFromTemplate(deps.baseUrl, org, template, content, award.recipient, award.createdAt);
  return { ...view, issuedOn: award.createdAt, validUntil: award.validUntil, status: award.status };
}

/** The signed document of an award, as a download (never re-serialised). */
export function sendCredentialFile(reply: FastifyReply, award: AwardView, document: string): FastifyReply {
  const name = `attestation-${award.credentialId.replace(/^urn:uuid:/, '').replace(/[^A-Za-z0-9-]/g, '')}.json`;
  return reply.type('application/json; charset=utf-8').header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${name}"`).header('x-content-type-options', 'nosniff').send(document);
}

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
    q: (query.q ?? '').trim(), template: query.template ?? '', status: query.status ?? '', from: (query.from ?? '').trim(), to: (query.to ?? '').trim(),
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

  app.get('/console/:slug/credentials', {
    schema: { ...hide, params: slugParams, querystring: z.object({ ...filterQuery, cursor: text(500).optional() }), response: htmlResponse },
  }, async (request, reply) => {
    const ctx = pageContext(request);
    const { org, role } = await requireOrgRole(deps, userActor(request), request.params.slug, READER_ROLES);
    const { values, filter, errors } = parseFilter(request.query, ctx.m);
    const position = decodeCursor(deps.secrets, request.query.cursor, cursorScope(org));
    const after = position ? { createdAt: new Date(position.t), id: position.id } : undefined;
    if (after && Number.isNaN(after.createdAt.getTime())) throw new AppError('CURSOR_INVALID', {}, { field: 'cursor' });
    const [rows, total, templates] = await Promise.all([
      listAwards(deps, org, filter, { limit: PAGE_SIZE + 1, after }),
      deps.store.awards.count(org.id, filter),
      deps.store.templates.list(org.id),
    ]);
    const awards = rows.slice(0, PAGE_SIZE);
    const last = awards.at(-1);
    const nextCursor = rows.length > PAGE_SIZE && last ? encodeCursor(deps.secrets, { t: last.createdAt.toISOString(), id: last.id }, cursorScope(org)) : null;
    const hasErrors = Object.keys(errors).length > 0;
    return sendHtml(reply, credentialsListPage(ctx, {
      org, role, templates, awards, total, filters: values, nextCursor, isFirstPage: !after, state: hasErrors ? { values: {}, errors } : undefined,
    }), hasErrors ? 400 : 200);
  });

  app.get('/console/:slug/credentials.csv', {
    schema: { ...hide, params: slugParams, querystring: z.object(filterQuery), response: { ...htmlResponse, 200: z.instanceof(Buffer).describe('CSV file (UTF-8 with BOM)') } },
  }, async (request, reply) => {
    const { m } = pageContext(request);
    const { org } = await requireOrgRole(deps, userActor(request), request.params.slug, READER_ROLES);
    const { filter, errors } = parseFilter(request.query, m);
    const field = Object.keys(errors)[0];
    if (field) throw new AppError('FIELD_DATE_INVALID', {}, { field });
    const c = m.credentials;
    const rows: (string | number | null)[][] = [];
    let after: { createdAt: Date; id: string } | undefined;
    while (rows.length < CSV_MAX_ROWS) {
      const limit = Math.min(1000, CSV_MAX_ROWS - rows.length);
      const page = await listAwards(deps, org, filter, { limit, after });
      for (const a of page) {
        rows.push([
          a.recipient.name, a.recipient.email, a.recipient.learnerId, pick(a.templateName, request.locale), a.templateVersion, a.credentialId,
          a.createdAt.toISOString(), a.validUntil?.toISOString() ?? '', c.statuses[a.status], a.mailStatus ? c.mail[a.mailStatus] : c.mail.none,
          a.mailAttempts, a.mailError, a.openedAt?.toISOString() ?? '', a.claimedAt?.toISOString() ?? '',
        ]);
      }
      const last = page.at(-1);
      if (page.length < limit || !last) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    const h = c.csv;
    const csv = toCsv([h.name, h.email, h.learnerId, h.template, h.version, h.credentialId, h.issuedAt, h.validUntil, h.status, h.mailStatus, h.attempts, h.lastError, h.openedAt, h.claimedAt], rows);
    const day = deps.clock.now().toISOString().slice(0, 10);
    return reply.type('text/csv; charset=utf-8').header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="attestations-${org.slug}-${day}.csv"`).send(csv);
  });

  async function renderDetail(
    request: FastifyRequest, reply: FastifyReply, slug: string, id: string,
    extra: { notice?: string; state?: FormState; form?: 'resend' | 'suspended' | 'active' | 'revoked' } = {}, status = 200,
  ) {
    const { org, role } = await requireOrgRole(deps, userActor(request), slug, READER_ROLES);
    const award = await getAward(deps, org, id);
    const [card, history] = await Promise.all([awardCard(deps, org, award), statusHistory(deps, org, award.id)]);
    return sendHtml(reply, credentialDetailPage(pageContext(request), { org, role, award, card, history, ...extra }), status);
  }

  app.get('/console/:slug/credentials/:id', {
    schema: { ...hide, params: idParams, querystring: z.object({ ...lang, done: z.enum(DONE).optional() }), response: htmlResponse },
  }, async (request, reply) => {
    const { m } = pageContext(request);
    const done = request.query.done;
    return renderDetail(request, reply, request.params.slug, request.params.id, { notice: done ? m.credentials.done[done] : undefined });
  });

  app.get('/console/:slug/credentials/:id/credential.json', {
    schema: { ...hide, params: idParams, querystring: z.object(lang), response: { ...htmlResponse, 200: z.string().describe('The signed credential (JSON)') } },
  }, async (request, reply) => {
    const { org } = await requireOrgRole(deps, userActor(request), request.params.slug, READER_ROLES);
    const award = await getAward(deps, org, request.params.id);
    const [credential] = await deps.store.credentials.findByCredentialId(org.id, award.credentialId);
    if (!credential) throw new AppError('NOT_FOUND');
    return sendCredentialFile(reply, award, credential.document);
  });

  app.post('/console/:slug/credentials/:id/resend', {
    schema: { ...hide, params: idParams, body: z.object(csrf), response: redirectResponse },
  }, async (request, reply) => {
    const actor = userActor(request);
    const { slug, id } = request.params;
    const { org } = await requireOrgRole(deps, actor, slug, ISSUER_ROLES);
    try {
      const award = await resendAward(deps, actor, org, id);
      return reply.redirect(`/console/${org.slug}/credentials/${award.id}?done=resent`, 303);
    } catch (e) {
      return renderDetail(request, reply, slug, id, { state: formState(request, e), form: 'resend' }, statusOf(e));
    }
  });

  app.post('/console/:slug/credentials/:id/status', {
    schema: {
      ...hide, params: idParams,
      body: z.object({ ...csrf, status: text(20), reason: text(2000).optional(), confirm: text(10).optional() }),
      response: redirectResponse,
    },
  }, async (request, reply) => {
    const actor = userActor(request);
    const { slug, id } = request.params;
    const { status, reason, confirm } = request.body;
    const { org } = await requireOrgRole(deps, actor, slug, ISSUER_ROLES);
    const award = await getAward(deps, org, id); // 404 first: another organisation's id never reaches the checks below
    const form = status === 'suspended' || status === 'active' || status === 'revoked' ? status : undefined;
    const values = { reason: reason ?? '' };
    if (status === 'revoked' && confirm !== 'on') {
      const { m } = pageContext(request);
      return renderDetail(request, reply, slug, id, { state: { values, errors: { confirm: m.credentials.confirmRequired } }, form }, 400);
    }
    try {
      await setAwardStatus(deps, actor, org, award.id, status, reason);
      return reply.redirect(`/console/${org.slug}/credentials/${award.id}?done=${STATUS_DONE[status as keyof typeof STATUS_DONE]}`, 303);
    } catch (e) {
      return renderDetail(request, reply, slug, id, { state: formState(request, e, values), form }, statusOf(e));
    }
  });

  app.get('/console/:slug/analytics', {
    schema: {
      ...hide, params: slugParams,
      querystring: z.object({ ...lang, template: text(64).optional(), days: z.enum(['30', '90', '365']).optional() }),
      response: htmlResponse,
    },
  }, async (request, reply) => {
    const { org, role } = await requireOrgRole(deps, userActor(request), request.params.slug, READER_ROLES);
    const templateId = request.query.template || null;
    if (templateId && !(await deps.store.templates.find(org.id, templateId))) throw new AppError('NOT_FOUND');
    const days = request.query.days ?? '30';
    const [data, templates, localMails] = await Promise.all([
      analytics(deps, org, templateId, Number(days)), deps.store.templates.list(org.id), deps.store.overview.localMails(org.id, templateId),
    ]);
    return sendHtml(reply, analyticsPage(pageContext(request), { org, role, templates, templateId: templateId ?? '', days, data, localMails, mailMode: deps.mailMode }));
  });
};
