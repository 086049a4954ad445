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
import { API_ISSUE_MAX, RecipientsInvalidError, issueRecords } from '../../domain/issuance/api-recipients.js';
import { getAward, listAwards, resendAward, setAwardStatus, statusHistory } from '../../domain/credentials/manage-credentials.js';
import type { AppDeps } from '../deps.js';
import { RecipientSchema, RecipientsProblemSchema, sendRecipientsProblem } from './issuance.routes.js';
import { decodeCursor, encodeCursor, page, pageQuery } from './pagination.js';
import { problemResponses } from './schemas.js';
import { IdParams, LocalizedSchema, apiCaller } from './templates.routes.js';
import type { Organization } from '../../domain/organizations/model.js';
import type { AwardView } from '../../domain/issuance/model.js';
import type { AwardFilter } from '../../domain/issuance/ports.js';

const STATUSES = ['active', 'suspended', 'revoked'] as const;
const IsoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export const CredentialSchema = z.object({
  id: z.string().describe('Sceau’s id of this credential (for /api/v1/credentials/{id})'),
  credentialId: z.string().describe('The credential’s own `id` (`urn:uuid:…`)'),
  templateId: z.string(),
  templateVersion: z.number().int().describe('The template version it was issued with'),
  templateName: LocalizedSchema,
  jobId: z.string().nullable().describe('The issuance job, for credentials issued in bulk'),
  rowNo: z.number().int().nullable(),
  recipient: z.object({
    name: z.string(), email: z.string(), learnerId: z.string().nullable(), locale: z.enum(['fr', 'en']),
    fields: z.record(z.string(), z.string()),
  }),
  status: z.enum(STATUSES),
  delivery: z.object({
    status: z.enum(['queued', 'sent', 'local', 'dead']).nullable().describe('The e-mail: queued, sent, local (no SMTP configured) or dead (failed after every retry)'),
    attempts: z.number().int(),
    error: z.string().nullable(),
  }),
  inAccount: z.boolean().describe('The address belonged to an account (or the holder claimed it): the credential is in that account'),
  openedAt: z.string().nullable().describe('First opening of the holder link'),
  claimedAt: z.string().nullable(),
  issuedAt: z.string(),
  validUntil: z.string().nullable(),
}).describe('Issued credential');

export const presentAward = (a: AwardView) => ({
  id: a.id, credentialId: a.credentialId, templateId: a.templateId, templateVersion: a.templateVersion, templateName: a.templateName,
  jobId: a.jobId, rowNo: a.rowNo,
  recipient: { name: a.recipient.name, email: a.recipient.email, learnerId: a.recipient.learnerId, locale: a.recipient.locale, fields: a.recipient.fields },
  status: a.status,
  delivery: { status: a.mailStatus, attempts: a.mailAttempts, error: a.mailError },
  inAccount: a.holderUserId !== null,
  openedAt: a.openedAt?.toISOString() ?? null, claimedAt: a.claimedAt?.toISOString() ?? null,
  issuedAt: a.createdAt.toISOString(), validUntil: a.validUntil?.toISOString() ?? null,
});

const HistorySchema = z.array(z.object({
  at: z.string(),
  action: z.string().describe('credential.issued, credential.suspended, credential.reactivated, credential.revoked, credential.resent'),
  reason: z.string().nullable(),
}));

const CredentialDetailSchema = CredentialSchema.extend({
  history: HistorySchema.describe('Issuance, status changes and re-sends, newest first, with the reasons given (from the organisation’s recent audit events)'),
  credential: z.record(z.string(), z.unknown()).describe('The signed Open Badges 3.0 credential, exactly as issued'),
});

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

  const detail = async (org: Organization, award: AwardView) => {
    const [doc] = (await deps.store.credentials.findByCredentialId(org.id, award.credentialId)).filter((c) => c.id === award.id);
    if (!doc) throw new AppError('NOT_FOUND');
    const history = (await statusHistory(deps, org, award.id)).map((h) => ({ at: h.at.toISOString(), action: h.action, reason: h.reason }));
    // The stored document is embedded verbatim (never re-serialised), so it stays byte-identical to what was signed.
    const head = JSON.stringify({ ...presentAward(award), history });
    return `${head.slice(0, -1)},"credential":${doc.document}}`;
  };

  app.post('/credentials', {
    schema: {
      summary: `Issue a credential from a template to 1–${API_ISSUE_MAX} recipients, at once`, tags, security,
      description: 'Every recipient is checked first (name, e-mail, learner id, language, the template’s fields, no '
        + 'e-mail twice): if any is invalid, 422 RECIPIENTS_INVALID lists every problem in `items` and nothing is issued. '
        + 'Otherwise each recipient gets a signed Open Badges 3.0 credential and an e-mail with their link (or the credential '
        + 'goes straight into the account that owns the verified address). The holder links are only e-mailed, never '
        + 'returned. An archived template answers 409 TEMPLATE_ARCHIVED. Retry safely with an `Idempotency-Key`; for more '
        + 'recipients use POST /api/v1/issuance-jobs.',
      body: z.object({
        templateId: z.string().min(1).max(64),
        recipients: z.array(RecipientSchema).min(1).max(API_ISSUE_MAX),
      }).strict(),
      response: { 201: z.object({ data: z.array(CredentialSchema) }), ...problemResponses, 422: RecipientsProblemSchema },
    },
  }, async (request, reply) => {
    const { actor, org } = apiCaller(request);
    try {
      const { issued } = await issueRecords(deps, actor, org, request.body.templateId, request.body.recipients);
      const data = [];
      for (const i of issued) data.push(presentAward(await getAward(deps, org, i.award.id)));
      return reply.code(201).send({ data });
    } catch (err) {
      if (err instanceof RecipientsInvalidError) return sendRecipientsProblem(request, reply, err);
      throw err;
    }
  });

  app.get('/credentials', {
    schema: {
      summary: 'Credentials issued by the organisation from its templates, newest first', tags, security,
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
  }, async (request) => {
    const { org } = apiCaller(request);
    const { limit, cursor, templateId, status, from, to, q } = request.query;
    const scope = 'credentials';
    const after = decodeCursor(deps.secrets, cursor, scope);
    const afterAt = after ? new Date(after.t) : undefined;
    if (after && Number.isNaN(afterAt!.getTime())) throw new AppError('CURSOR_INVALID', {}, { field: 'cursor' });
    const filter: AwardFilter = {
      ...(templateId ? { templateId } : {}), ...(status ? { status } : {}),
      ...(from ? { from: dateOf(from, 'from', false) } : {}), ...(to ? { to: dateOf(to, 'to', true) } : {}),
      ...(q?.trim() ? { q: q.trim() } : {}),
    };
    const rows = await listAwards(deps, org, filter, { limit: limit + 1, ...(after ? { after: { createdAt: afterAt!, id: after.id } } : {}) });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      data: items.map(presentAward),
      nextCursor: rows.length > limit && last ? encodeCursor(deps.secrets, { t: last.createdAt.toISOString(), id: last.id }, scope) : null,
    };
  });

  app.get('/credentials/:id', {
    schema: {
      summary: 'One credential, with its delivery, history and signed document', tags, security, params: IdParams,
      response: { 200: CredentialDetailSchema, ...problemResponses },
    },
  }, async (request, reply) => {
    const { org } = apiCaller(request);
    const award = await getAward(deps, org, request.params.id);
    return (reply as FastifyReply).type('application/json; charset=utf-8').send(await detail(org, award));
  });

  const ReasonBody = z.object({
    reason: z.string().max(1000).optional().describe('Why (at most 500 characters): kept in the audit log and shown to the issuer'),
  }).strict().nullish();

  const statusRoute = (action: 'revoke' | 'suspend' | 'reactivate', status: (typeof STATUSES)[number], summary: string) => {
    app.post(`/credentials/:id/${action}`, {
      schema: {
        summary, tags, security, params: IdParams, body: ReasonBody,
        description: 'Takes effect in the published status list at once. Revocation is permanent: a revoked credential can '
          + 'be neither suspended nor reactivated (409 CREDENTIAL_REVOKED_PERMANENT).',
        response: { 200: CredentialSchema, ...problemResponses },
      },
    }, async (request) => {
      const { actor, org } = apiCaller(request);
      return presentAward(await setAwardStatus(deps, actor, org, request.params.id, status, request.body?.reason));
    });
  };
  statusRoute('revoke', 'revoked', 'Revoke a credential (permanent), with an optional reason');
  statusRoute('suspend', 'suspended', 'Suspend a credential, with an optional reason');
  statusRoute('reactivate', 'active', 'Reactivate a suspended credential');

  app.post('/credentials/:id/resend', {
    schema: {
      summary: 'Send the credential e-mail again, with a new link', tags, security, params: IdParams,
      description: 'The previous holder link stops working (links are stored only as hashes). Refused for a revoked credential (409).',
      body: z.object({}).strict().nullish().describe('No body (or an empty object)'),
      response: { 200: CredentialSchema, ...problemResponses },
    },
  }, async (request) => {
    const { actor, org } = apiCaller(request);
    return presentAward(await resendAward(deps, actor, org, request.params.id));
  });
};
