/**
 * Console: automatic issuance from results. `/console/:slug/results` (admins and staff import a CSV/XLSX, reviewers
 * read the rules and the decision log) and `/console/:slug/templates/:id/rules` (each template's rules; reviewers
 * read them). Outsiders get the 404 of a missing organisation; a template of another organisation answers 404 too.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { authorize, can } from '../../domain/shared/policies.js';
import {
  type DecisionOutcome,
  getTemplateRules,
  importResultsFile,
  resultsOverview,
  saveTemplateRules,
  scoreFieldOf,
} from '../../domain/issuance/issue-from-results.js';
import { DEFAULT_RULES } from '../../domain/issuance/rules.js';
import { decodeCursor, encodeCursor } from '../../http/api/pagination.js';
import type { AppDeps } from '../../http/deps.js';
import { plural } from '../../i18n/plural.js';
import { pageContext } from '../layout.js';
import type { FormState } from '../pages/auth.js';
import { type DecisionRow, type ResultsPageView, resultsPage, rulesPage, rulesValues } from '../pages/results.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, statusOf, text, userActor } from './helpers.js';
import type { IssuanceDecisionView } from '../../domain/issuance/ports.js';

const LOG_PAGE = 50;
const CURSOR_SCOPE = 'console.decisions';

/** A signed-in person's standing in an organisation is always a member's role (what the console header shows). */
const rowOfView = (d: IssuanceDecisionView): DecisionRow => ({
  createdAt: d.createdAt,
  name: d.name,
  email: d.email,
  templateName: d.templateName,
  decision: d.decision,
  reason: d.reason,
  details: d.details,
  dueAt: d.dueAt,
  awardId: d.awardId,
});
const rowOfOutcome = (o: DecisionOutcome): DecisionRow => ({
  createdAt: o.decision.createdAt,
  name: o.decision.name,
  email: o.decision.email,
  templateName: o.template.content.name,
  decision: o.decision.decision,
  reason: o.decision.reason,
  details: o.decision.details,
  dueAt: o.decision.dueAt,
  awardId: o.decision.awardId,
});

export const resultsRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const lang = { lang: z.enum(['fr', 'en']).optional() };
  const slugParams = z.object({ slug: text(63) });
  const idParams = z.object({ slug: text(63), id: text(64) });

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    slug: string,
    cursor: string | undefined,
    extra: Partial<Pick<ResultsPageView, 'notice' | 'state' | 'report' | 'imported'>> = {},
    status = 200,
  ) {
    const after = decodeCursor(deps.secrets, cursor, CURSOR_SCOPE);
    const {
      scope: { org, standing },
      rules,
      log,
    } = await resultsOverview(deps, userActor(request), { slug, page: { limit: LOG_PAGE, after } });
    const olderHref = log.next ? `/console/${org.slug}/results?cursor=${encodeURIComponent(encodeCursor(deps.secrets, log.next, CURSOR_SCOPE))}` : null;
    return sendHtml(
      reply,
      resultsPage(pageContext(request), {
        org,
        standing,
        canImport: can(standing, 'results.manage'),
        rules,
        decisions: log.items.map(rowOfView),
        olderHref,
        ...extra,
      }),
      status,
    );
  }

  app.get(
    '/console/:slug/results',
    {
      schema: { ...hide, params: slugParams, querystring: z.object({ ...lang, cursor: text(500).optional() }), response: htmlResponse },
    },
    async (request, reply) => {
      return render(request, reply, request.params.slug, request.query.cursor);
    },
  );

  app.post(
    '/console/:slug/results',
    {
      schema: {
        ...hide,
        params: slugParams,
        // multipart: the file arrives as a Buffer; a text field of that name (or a urlencoded form) as a string.
        body: z.object({ ...csrf, file: z.union([z.instanceof(Buffer), z.string().max(100)]).optional() }),
        response: { ...htmlResponse, 413: z.string() },
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { org } = await authorize(deps, actor, { action: 'results.manage', slug: request.params.slug });
      const m = pageContext(request).m;
      try {
        const { file } = request.body;
        if (!Buffer.isBuffer(file)) throw new AppError('IMPORT_EMPTY', {}, { field: 'file' });
        const outcome = await importResultsFile(deps, actor, { slug: org.slug, bytes: file });
        if (!outcome.ok) return await render(request, reply, org.slug, undefined, { report: { errors: outcome.errors, columns: outcome.columns } }, 400);
        return await render(request, reply, org.slug, undefined, {
          notice: `${plural(request.locale, m.results.imported.results, { count: outcome.received })}, ${plural(request.locale, m.results.imported.decisions, { count: outcome.decisions.length })}.`,
          imported: outcome.decisions.map(rowOfOutcome),
        });
      } catch (e) {
        const state: FormState = formState(request, e);
        if (state.general && !state.errors) state.errors = { file: state.general.shift()! };
        return render(request, reply, org.slug, undefined, { state }, statusOf(e));
      }
    },
  );

  async function renderRules(
    request: FastifyRequest,
    reply: FastifyReply,
    slug: string,
    id: string,
    extra: { notice?: string; state?: FormState } = {},
    status = 200,
  ) {
    const {
      scope: { org, standing },
      template,
      rules,
    } = await getTemplateRules(deps, userActor(request), { slug, templateId: id });
    return sendHtml(
      reply,
      rulesPage(pageContext(request), {
        org,
        standing,
        template,
        values: rulesValues(rules ?? DEFAULT_RULES),
        editable: can(standing, 'results.manage'),
        scoreField: scoreFieldOf(template.content)?.key ?? null,
        ...extra,
      }),
      status,
    );
  }

  app.get(
    '/console/:slug/templates/:id/rules',
    {
      schema: { ...hide, params: idParams, querystring: z.object({ ...lang, done: z.enum(['saved']).optional() }), response: htmlResponse },
    },
    async (request, reply) => {
      const m = pageContext(request).m;
      return renderRules(request, reply, request.params.slug, request.params.id, { notice: request.query.done ? m.results.form.saved : undefined });
    },
  );

  app.post(
    '/console/:slug/templates/:id/rules',
    {
      schema: {
        ...hide,
        params: idParams,
        body: z.object({
          ...csrf,
          enabled: text(10).optional(),
          activities: text(2500).optional(),
          mode: text(10).optional(),
          minScore: text(40).optional(),
          requirePassed: text(10).optional(),
          policy: text(20).optional(),
          renewWithinDays: text(20).optional(),
          delayMinutes: text(20).optional(),
        }),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      const { slug, id } = request.params;
      const { _csrf, ...input } = request.body;
      void _csrf;
      try {
        await saveTemplateRules(deps, userActor(request), { slug, templateId: id, rules: input });
        return reply.redirect(`/console/${slug}/templates/${encodeURIComponent(id)}/rules?done=saved`, 303);
      } catch (e) {
        const values: Record<string, string> = {
          enabled: input.enabled ? 'on' : '',
          requirePassed: input.requirePassed ? 'on' : '',
          activities: input.activities ?? '',
          mode: input.mode ?? 'all',
          minScore: input.minScore ?? '',
          policy: input.policy ?? 'once',
          renewWithinDays: input.renewWithinDays ?? '',
          delayMinutes: input.delayMinutes ?? '',
        };
        return renderRules(request, reply, slug, id, { state: formState(request, e, values) }, statusOf(e));
      }
    },
  );
};
