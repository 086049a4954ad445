/**
 * JSON API v1. Authentication: `Authorization: Bearer sceau_…` (organisation API key). No cookies, no CSRF.
 * Every route declares its body and response schemas; serialisation drops anything not in the schema.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import type { AppDeps } from '../deps.js';
import { idempotency } from '../plugins/idempotency.js';
import { InvitationSchema, MemberSchema, OrganizationSchema, problemResponses } from './schemas.js';
import { webhooksApiRoutes } from './webhooks.routes.js';
import { imagesApiRoutes } from './images.routes.js';
import { resultsApiRoutes } from './results.routes.js';
import { templatesApiRoutes } from './templates.routes.js';
import { credentialsApiRoutes } from './credentials.routes.js';
import { issuanceApiRoutes } from './issuance.routes.js';
import type { Organization } from '../../domain/organizations/model.js';
import { presentInvitation, presentMember, presentOrganization } from '../presenters/organization.js';
import { inviteMember } from '../../domain/organizations/invitations.js';
import { authenticateApiKey } from '../../domain/organizations/api-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiOrg: Organization | null;
  }
}

export const apiV1Routes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.decorateRequest('apiOrg', null);
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), kind: 'api' };
  });
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new AppError('AUTH_REQUIRED');
    const { apiKey, org } = await authenticateApiKey(deps, match[1]);
    request.apiOrg = org;
    request.actor = { kind: 'apiKey', apiKeyId: apiKey.id, orgId: org.id, ip: request.ip, requestId: request.id };
  });
  // After authentication, before every route of this scope (also those registered from other files below).
  await app.register(idempotency, { deps });

  const security = [{ apiKey: [] }];
  await app.register(webhooksApiRoutes, { deps });
  await app.register(imagesApiRoutes, { deps });
  await app.register(resultsApiRoutes, { deps });
  await app.register(templatesApiRoutes, { deps });
  await app.register(credentialsApiRoutes, { deps });
  await app.register(issuanceApiRoutes, { deps });

  app.get(
    '/organization',
    {
      schema: {
        summary: 'The organisation of the API key',
        tags: ['organisation'],
        security,
        response: { 200: OrganizationSchema, ...problemResponses },
      },
    },
    async (request) => {
      const org = request.apiOrg!;
      return presentOrganization(org, org.parentId ? await deps.store.organizations.findById(org.parentId) : undefined);
    },
  );

  app.get(
    '/organization/members',
    {
      schema: {
        summary: 'Members of the organisation',
        tags: ['organisation'],
        security,
        response: { 200: z.object({ data: z.array(MemberSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const members = await deps.store.memberships.list(request.apiOrg!.id);
      return { data: members.map(presentMember) };
    },
  );

  app.post(
    '/organization/invitations',
    {
      schema: {
        summary: 'Invite someone to the organisation by e-mail',
        tags: ['organisation'],
        security,
        body: z
          .object({
            email: z.string().max(254),
            role: z.enum(['admin', 'staff', 'reviewer']),
            locale: z.enum(['fr', 'en']).optional(),
          })
          .strict(),
        response: { 201: InvitationSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      if (actor?.kind !== 'apiKey') throw new AppError('AUTH_REQUIRED');
      const invitation = await inviteMember(deps, actor, request.body);
      return reply.code(201).send(presentInvitation(invitation));
    },
  );
};
