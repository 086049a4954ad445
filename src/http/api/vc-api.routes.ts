/**
 * VC-API issuing and status (W3C VC-API): POST /credentials/issue, POST /credentials/status.
 * Organisation API key as `Authorization: Bearer`; every credential is issued by, and every status change applies
 * to, the key's organisation only (another organisation's credential is a 404 identical to a nonexistent one).
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { issueCredential } from '../../domain/credentials/issue-credentials.js';
import { setCredentialStatus } from '../../domain/credentials/status-lists.js';
import type { AppDeps } from '../deps.js';
import { problemResponses } from './schemas.js';
import { authenticateApiKey } from '../../domain/organizations/api-keys.js';

const JsonObjectSchema = z.record(z.string(), z.unknown());

const IssueBody = z
  .object({
    credential: JsonObjectSchema.describe("The credential to sign: VCDM 2.0 (or 1.1). `issuer` must be the key's organisation (its DID) or absent."),
    options: JsonObjectSchema.optional().describe('VC-API issue options (none are needed; unknown ones are ignored).'),
  })
  .strict();

const StatusBody = z
  .object({
    credentialId: z.string().min(1).max(2048),
    credentialStatus: z
      .array(
        z
          .object({
            type: z.literal('BitstringStatusListEntry'),
            status: z.enum(['revoked', 'suspended', 'active']),
          })
          .strict(),
      )
      .length(1),
  })
  .strict();

export const vcApiIssueRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.addHook('onRequest', async (request) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1]) throw new AppError('AUTH_REQUIRED');
    const { apiKey, org } = await authenticateApiKey(deps, match[1]);
    request.actor = { kind: 'apiKey', apiKeyId: apiKey.id, orgId: org.id, ip: request.ip, requestId: request.id };
  });
  const security = [{ apiKey: [] }];
  const tags = ['vc-api'];

  app.post(
    '/credentials/issue',
    {
      config: { kind: 'api' },
      schema: {
        summary: "Issue (sign) a credential as the API key's organisation",
        tags,
        security,
        body: IssueBody,
        response: { 201: z.object({ verifiableCredential: JsonObjectSchema }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      if (actor?.kind !== 'apiKey') throw new AppError('AUTH_REQUIRED');
      const issued = await issueCredential(deps, actor, { credential: request.body.credential });
      // The stored document is sent verbatim (a string is not re-serialised).
      return (reply as FastifyReply).code(201).type('application/json; charset=utf-8').send(`{"verifiableCredential":${issued.document}}`);
    },
  );

  app.post(
    '/credentials/status',
    {
      config: { kind: 'api' },
      schema: {
        summary: "Revoke (permanently), suspend or reactivate one of the organisation's credentials",
        tags,
        security,
        body: StatusBody,
        response: { 200: z.object({ credentialId: z.string(), status: z.enum(['revoked', 'suspended', 'active']) }), ...problemResponses },
      },
    },
    async (request) => {
      const actor = request.actor;
      if (actor?.kind !== 'apiKey') throw new AppError('AUTH_REQUIRED');
      const { credentialId, credentialStatus } = request.body;
      return setCredentialStatus(deps, actor, { credentialId, status: credentialStatus[0]!.status });
    },
  );
};
