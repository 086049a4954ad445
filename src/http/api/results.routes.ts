/**
 * `/api/v1/results`: learners' results for automatic issuance (an LMS, an exam centre, a student information system),
 * and the log of the decisions they triggered. Registered inside the v1 scope (Bearer key; Idempotency-Key on POST:
 * a replayed request answers the first response, byte for byte, and issues nothing more).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import {
  type DecisionOutcome,
  RESULTS_PER_CALL,
  type ResultItemError,
  listDecisions,
  receiveResults,
  validateResults,
} from '../../domain/issuance/issue-from-results.js';
import { DECISION_KINDS, DECISION_REASONS } from '../../domain/issuance/rules.js';
import { format, messages } from '../../i18n/t.js';
import type { AppDeps } from '../deps.js';
import { toProblem } from '../plugins/errors.js';
import { decodeCursor, page, pageQuery, pageResponse } from './pagination.js';
import { ProblemSchema, problemResponses } from './schemas.js';
import { apiCaller } from './caller.js';
import { LocalizedSchema } from '../presenters/template.js';
import type { IssuanceDecision } from '../../domain/issuance/ports.js';

const ResultItem = z
  .object({
    learner: z
      .object({
        email: z.string().max(254),
        name: z.string().max(400),
        learnerId: z.string().max(200).optional(),
      })
      .strict(),
    activity: z.string().max(200).describe('The activity, exam, unit or course code the result is for (case-insensitive), e.g. `SST-101`'),
    score: z.number().nullable().optional().describe('The score (any scale; compared with the template rule’s minimum score)'),
    passed: z.boolean().nullable().optional().describe('Whether the learner passed; `false` never earns a credential'),
    date: z
      .string()
      .max(40)
      .describe('When the result was obtained: `YYYY-MM-DD` (00:00 UTC) or an ISO date-time (UTC when it has no offset); not in the future'),
  })
  .strict();

export const DecisionSchema = z
  .object({
    id: z.string(),
    template: z.object({ id: z.string(), name: LocalizedSchema }),
    learner: z.object({ email: z.string(), name: z.string(), learnerId: z.string().nullable() }),
    decision: z
      .enum(DECISION_KINDS as [string, ...string[]])
      .describe('issued (now), pending (delayed until `dueAt`), not_yet (activities missing), refused (see `reason`)'),
    reason: z.enum(DECISION_REASONS).nullable().describe('Why it is not (yet) issued'),
    details: z
      .record(z.string(), z.union([z.string(), z.number(), z.null()]))
      .nullable()
      .describe('e.g. `missing` activities, `score` and `minScore`'),
    dueAt: z.string().nullable().describe('pending: when the credential will be issued'),
    credentialId: z.string().nullable().describe('issued: the credential’s own `id` (`urn:uuid:…`)'),
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
  })
  .describe('A decision of the automatic issuance rules');

const ItemErrorSchema = z.object({ index: z.number().int(), field: z.string(), code: z.string(), message: z.string() });
const ResultsProblemSchema = ProblemSchema.extend({
  items: z.array(ItemErrorSchema).optional().describe('RESULTS_INVALID: every problem of every invalid result'),
}).describe('Problem details (400 RESULTS_INVALID lists every invalid result in `items`; nothing was stored)');

const present = (d: IssuanceDecision, template: { id: string; name: Record<string, string | undefined> }, credentialId: string | null) => ({
  id: d.id,
  template: { id: template.id, name: template.name },
  learner: { email: d.email, name: d.name, learnerId: d.learnerId },
  decision: d.decision,
  reason: d.reason,
  details: d.details,
  dueAt: d.decision === 'pending' ? (d.dueAt?.toISOString() ?? null) : null,
  credentialId,
  createdAt: d.createdAt.toISOString(),
  decidedAt: d.decidedAt?.toISOString() ?? null,
});
const presentOutcome = (o: DecisionOutcome) => present(o.decision, { id: o.template.id, name: o.template.content.name }, o.credentialId);

const FIELD_OF: Record<string, string> = { email: 'learner.email', name: 'learner.name', learnerId: 'learner.learnerId' };

function sendResultsProblem(request: FastifyRequest, reply: FastifyReply, errors: ResultItemError[]): FastifyReply {
  const texts = messages(request.locale).errors;
  const items = errors.map((e) => ({
    index: e.index,
    field: `results.${e.index}.${FIELD_OF[e.target] ?? e.target}`,
    code: e.code,
    message: format(texts[e.code], { max: 200 }),
  }));
  const err = new AppError('RESULTS_INVALID', { count: new Set(errors.map((e) => e.index)).size });
  const problem = {
    ...toProblem(err, request.locale, { requestId: request.id, fieldErrors: items.map((i) => ({ field: i.field, message: i.message })) }),
    items,
  };
  return reply.code(400).type('application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}

export const resultsApiRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const security = [{ apiKey: [] }];
  const tags = ['results'];

  app.post(
    '/results',
    {
      schema: {
        summary: `Send 1–${RESULTS_PER_CALL} learners’ results for automatic issuance`,
        tags,
        security,
        description:
          'Every result is checked first: if any is invalid, 400 RESULTS_INVALID lists every problem in `items` and ' +
          'nothing is stored. Then the results are stored (an identical result sent again is stored once) and every active ' +
          'template whose enabled rules mention the activity is evaluated for the learner: the credential is issued at once, ' +
          'or `pending` until `dueAt` when the rules set a delay, or `not_yet` (activities missing), or `refused` with a reason ' +
          '(score below the minimum, failed, already issued…). A template with a number or grade field named `score` (else ' +
          '`note`) gets the score there. Retry safely with an `Idempotency-Key`.',
        body: z.object({ results: z.array(ResultItem).min(1).max(RESULTS_PER_CALL) }).strict(),
        response: {
          202: z.object({ received: z.number().int(), decisions: z.array(DecisionSchema) }),
          ...problemResponses,
          400: ResultsProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { actor } = apiCaller(request);
      const items = request.body.results.map((r) => ({
        email: r.learner.email,
        name: r.learner.name,
        learnerId: r.learner.learnerId,
        activity: r.activity,
        score: r.score,
        passed: r.passed,
        date: r.date,
      }));
      const { results, errors } = validateResults(items, deps.clock.now());
      if (errors.length) return sendResultsProblem(request, reply, errors);
      const outcomes = await receiveResults(deps, actor, { results, source: 'api' });
      return reply.code(202).send({ received: results.length, decisions: outcomes.map(presentOutcome) });
    },
  );

  app.get(
    '/results/decisions',
    {
      schema: {
        summary: 'Decisions of the automatic issuance rules, newest first',
        tags,
        security,
        querystring: z.object(pageQuery),
        response: { 200: page(DecisionSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { actor } = apiCaller(request);
      const scope = 'results.decisions';
      const after = decodeCursor(deps.secrets, request.query.cursor, scope);
      const result = await listDecisions(deps, actor, { page: { limit: request.query.limit, after } });
      return pageResponse(deps.secrets, result, { present: (d) => present(d, { id: d.templateId, name: d.templateName }, d.credentialId), scope });
    },
  );
};
