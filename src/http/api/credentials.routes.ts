/**
 * `/api/v1/credentials`: issuing from a template (1–100 recipients, synchronously), listing and searching the
 * organisation's credentials (cursor pagination), one credential with its signed document, revoke / suspend /
 * reactivate with a reason, and re-sending the e-mail. Registered inside the v1 scope (Bearer key; Idempotency-Key
 * on POST). A credential of another organisation answers the same 404 as a nonexistent one.
 *
 * The `id` of a credential here is Sceau's id of the issued credential (award); `credentialId` is the credential's
 * own `id` (`urn:uuid:…`). Holder links are never returned: they are only e-mailed to the recipient (a re-send
 * replaces the link).
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { API_ISSUE_MAX, issueFromApi } from '../../domain/issuance/issue-from-api.js';
import { RecipientsInvalidError } from '../../domain/issuance/check-recipients.js';
import { getAward, getAwardDetail, listAwards, resendAward, setAwardStatus } from '../../domain/credentials/manage-credentials.js';
import type { AppDeps } from '../deps.js';
import { CREDENTIAL_STATUSES as STATUSES, CredentialDetailSchema, CredentialSchema, credentialDetailJson, presentAward } from '../presenters/credential.js';
import { IdParams, apiCaller } from './caller.js';
import { decodeCursor, encodeCursor, page, pageQuery } from './pagination.js';
import { RecipientSchema, RecipientsProblemSchema, sendRecipientsProblem } from './recipients.js';
import { problemResponses } from './schemas.js';
import type { AwardFilter } from '../../domain/issuance/ports.js';

const IsoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** `2026-03-01` (a whole day) or an ISO date-time. `end`: a bare date includes that whole day. */
function dateOf(raw: string | undefined, field: string, end: boolean): Date | undefined {
  if (raw === undefined) return undefined;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const d = new Date(day ? `${raw}T00:00:00.000Z` : raw);
  if (Number.isNaN(d.getTime())) throw new AppError('VALIDATION_FAILED', {}, { field });
  return day && end ? new Date(d.getTime() + 86_400_000) : d;
}

export const credentialsApiRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const security = [{ apiKey: [] }];
  const tags = ['credentials'];

  app.post(
    '/credentials',
    {
      schema: {
        summary: `Issue a credential from a template to 1–${API_ISSUE_MAX} recipients, at once`,
        tags,
        security,
        description:
          'Every recipient is checked first (name, e-mail, learner id, language, the template’s fields, no ' +
          'e-mail twice): if any is invalid, 422 RECIPIENTS_INVALID lists every problem in `items` and nothing is issued. ' +
          'Otherwise each recipient gets a signed Open Badges 3.0 credential and an e-mail with their link (or the credential ' +
          'goes straight into the account that owns the verified address). The holder links are only e-mailed, never ' +
          'returned. An archived template answers 409 TEMPLATE_ARCHIVED. Retry safely with an `Idempotency-Key`; for more ' +
          'recipients use POST /api/v1/issuance-jobs.',
        body: z
          .object({
            templateId: z.string().min(1).max(64),
            recipients: z.array(RecipientSchema).min(1).max(API_ISSUE_MAX),
          })
          .strict(),
        response: { 201: z.object({ data: z.array(CredentialSchema) }), ...problemResponses, 422: RecipientsProblemSchema },
      },
    },
    async (request, reply) => {
      const { actor } = apiCaller(request);
      try {
        const { issued } = await issueFromApi(deps, actor, { templateId: request.body.templateId, recipients: request.body.recipients });
        const data = [];
        for (const i of issued) data.push(presentAward((await getAward(deps, actor, { id: i.award.id })).award));
        return reply.code(201).send({ data });
      } catch (err) {
        if (err instanceof RecipientsInvalidError) return sendRecipientsProblem(request, reply, err);
        throw err;
      }
    },
  );

  app.get(
    '/credentials',
    {
      schema: {
        summary: 'Credentials issued by the organisation from its templates, newest first',
        tags,
        security,
        querystring: z.object({
          ...pageQuery,
          templateId: z.string().max(64).optional(),
          status: z.enum(STATUSES).optional(),
          from: IsoDate.optional().describe('Issued at or after: `YYYY-MM-DD` (00:00 UTC) or an ISO date-time'),
          to: IsoDate.optional().describe('Issued before: an ISO date-time, or `YYYY-MM-DD` to include that whole day (UTC)'),
          q: z.string().max(200).optional().describe('Searches the recipient’s name, e-mail and learner id (case-insensitive)'),
        }),
        response: { 200: page(CredentialSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { actor } = apiCaller(request);
      const { limit, cursor, templateId, status, from, to, q } = request.query;
      const scope = 'credentials';
      const after = decodeCursor(deps.secrets, cursor, scope);
      const afterAt = after ? new Date(after.t) : undefined;
      if (after && Number.isNaN(afterAt!.getTime())) throw new AppError('CURSOR_INVALID', {}, { field: 'cursor' });
      const filter: AwardFilter = {
        ...(templateId ? { templateId } : {}),
        ...(status ? { status } : {}),
        ...(from ? { from: dateOf(from, 'from', false) } : {}),
        ...(to ? { to: dateOf(to, 'to', true) } : {}),
        ...(q?.trim() ? { q: q.trim() } : {}),
      };
      const { awards: rows } = await listAwards(deps, actor, { filter, limit: limit + 1, ...(after ? { after: { createdAt: afterAt!, id: after.id } } : {}) });
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return {
        data: items.map(presentAward),
        nextCursor: rows.length > limit && last ? encodeCursor(deps.secrets, { t: last.createdAt.toISOString(), id: last.id }, scope) : null,
      };
    },
  );

  app.get(
    '/credentials/:id',
    {
      schema: {
        summary: 'One credential, with its delivery, history and signed document',
        tags,
        security,
        params: IdParams,
        response: { 200: CredentialDetailSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { actor } = apiCaller(request);
      const { award, credential, history } = await getAwardDetail(deps, actor, { id: request.params.id });
      return (reply as FastifyReply).type('application/json; charset=utf-8').send(credentialDetailJson(award, history, credential));
    },
  );

  const ReasonBody = z
    .object({
      reason: z.string().max(1000).optional().describe('Why (at most 500 characters): kept in the audit log and shown to the issuer'),
    })
    .strict()
    .nullish();

  const statusRoute = (action: 'revoke' | 'suspend' | 'reactivate', status: (typeof STATUSES)[number], summary: string) => {
    app.post(
      `/credentials/:id/${action}`,
      {
        schema: {
          summary,
          tags,
          security,
          params: IdParams,
          body: ReasonBody,
          description:
            'Takes effect in the published status list at once. Revocation is permanent: a revoked credential can ' +
            'be neither suspended nor reactivated (409 CREDENTIAL_REVOKED_PERMANENT).',
          response: { 200: CredentialSchema, ...problemResponses },
        },
      },
      async (request) => {
        const { actor } = apiCaller(request);
        return presentAward(await setAwardStatus(deps, actor, { id: request.params.id, status, reason: request.body?.reason }));
      },
    );
  };
  statusRoute('revoke', 'revoked', 'Revoke a credential (permanent), with an optional reason');
  statusRoute('suspend', 'suspended', 'Suspend a credential, with an optional reason');
  statusRoute('reactivate', 'active', 'Reactivate a suspended credential');

  app.post(
    '/credentials/:id/resend',
    {
      schema: {
        summary: 'Send the credential e-mail again, with a new link',
        tags,
        security,
        params: IdParams,
        description: 'The previous holder link stops working (links are stored only as hashes). Refused for a revoked credential (409).',
        body: z.object({}).strict().nullish().describe('No body (or an empty object)'),
        response: { 200: CredentialSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { actor } = apiCaller(request);
      return presentAward(await resendAward(deps, actor, { id: request.params.id }));
    },
  );
};
