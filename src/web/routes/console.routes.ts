import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listMyOrganizations, listOrgAudit, updateOrganization } from '../../domain/organizations/manage-organizations.js';
import { authorize } from '../../domain/shared/policies.js';
import { orgFigures } from '../../domain/organizations/overview.js';
import type { AppDeps } from '../../http/deps.js';
import { format } from '../../i18n/t.js';
import { pageContext } from '../layout.js';
import type { FormState } from '../pages/auth.js';
import { apiKeysPage, auditPage, consoleIndexPage, membersPage, orgOverviewPage, settingsPage } from '../pages/console.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, text, userActor, statusOf } from './helpers.js';
import { changeMemberRole, listMembers, removeMember } from '../../domain/organizations/manage-members.js';
import { inviteMember, revokeInvitation } from '../../domain/organizations/invitations.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../domain/organizations/api-keys.js';

const DONE = ['invited', 'revoked', 'roleChanged', 'memberRemoved', 'saved'] as const;

/**
 * Organisation console. Every route resolves the organisation through `authorize` (in the use case, or here when a
 * page only needs the organisation and the caller's standing), so an organisation they do not belong to answers
 * exactly like one that does not exist (404). A form that re-renders its page on a domain error authorises first,
 * so a refusal is the error page, never a form message.
 */
export const consoleRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const slugParams = z.object({ slug: text(63) });
  const doneQuery = z.object({ done: z.enum(DONE).optional(), email: text(254).optional(), lang: z.enum(['fr', 'en']).optional() });

  app.get(
    '/console',
    { schema: { ...hide, querystring: z.object({ lang: z.enum(['fr', 'en']).optional() }), response: htmlResponse } },
    async (request, reply) => sendHtml(reply, consoleIndexPage(pageContext(request), await listMyOrganizations(deps, userActor(request)))),
  );

  app.get(
    '/console/:slug',
    { schema: { ...hide, params: slugParams, querystring: z.object({ lang: z.enum(['fr', 'en']).optional() }), response: htmlResponse } },
    async (request, reply) => {
      const { org, standing } = await authorize(deps, userActor(request), { action: 'org.view', slug: request.params.slug });
      const parent = org.parentId ? await deps.store.organizations.findById(org.parentId) : undefined;
      const children = await deps.store.organizations.listChildren(org.id);
      const memberCount = (await deps.store.memberships.list(org.id)).length;
      const figures = await orgFigures(deps, org);
      return sendHtml(reply, orgOverviewPage(pageContext(request), { org, standing, parent, children, memberCount, figures, now: deps.clock.now() }));
    },
  );

  async function renderMembers(request: FastifyRequest, reply: FastifyReply, extra: { notice?: string; state?: FormState } = {}, status = 200) {
    const actor = userActor(request);
    const { slug } = request.params as { slug: string };
    const view = await listMembers(deps, actor, { slug });
    return sendHtml(reply, membersPage(pageContext(request), { ...view, selfId: actor.userId, ...extra }), status);
  }

  app.get('/console/:slug/members', { schema: { ...hide, params: slugParams, querystring: doneQuery, response: htmlResponse } }, async (request, reply) => {
    const m = pageContext(request).m;
    const done = request.query.done;
    const notice =
      done === 'invited'
        ? format(m.console.invited, { email: request.query.email ?? '' })
        : done === 'saved'
          ? m.account.saved
          : done
            ? m.console[done]
            : undefined;
    return renderMembers(request, reply, { notice });
  });

  app.post(
    '/console/:slug/invitations',
    {
      schema: {
        ...hide,
        params: slugParams,
        body: z.object({ ...csrf, email: text(500), role: text(20), locale: text(5).optional() }),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { org } = await authorize(deps, actor, { action: 'org.manage', slug: request.params.slug });
      try {
        const invitation = await inviteMember(deps, actor, { slug: org.slug, email: request.body.email, role: request.body.role, locale: request.body.locale });
        return reply.redirect(`/console/${org.slug}/members?done=invited&email=${encodeURIComponent(invitation.email)}`, 303);
      } catch (e) {
        return renderMembers(request, reply, { state: formState(request, e, { email: request.body.email, role: request.body.role }) }, statusOf(e));
      }
    },
  );

  const idParams = z.object({ slug: text(63), id: text(64) });
  app.post(
    '/console/:slug/invitations/:id/revoke',
    { schema: { ...hide, params: idParams, body: z.object(csrf), response: redirectResponse } },
    async (request, reply) => {
      await revokeInvitation(deps, userActor(request), { slug: request.params.slug, invitationId: request.params.id });
      return reply.redirect(`/console/${request.params.slug}/members?done=revoked`, 303);
    },
  );

  const memberParams = z.object({ slug: text(63), userId: text(64) });
  app.post(
    '/console/:slug/members/:userId/role',
    { schema: { ...hide, params: memberParams, body: z.object({ ...csrf, role: text(20) }), response: redirectResponse } },
    async (request, reply) => {
      try {
        await changeMemberRole(deps, userActor(request), { slug: request.params.slug, userId: request.params.userId, role: request.body.role });
        return reply.redirect(`/console/${request.params.slug}/members?done=roleChanged`, 303);
      } catch (e) {
        return renderMembers(request, reply, { state: formState(request, e) }, statusOf(e));
      }
    },
  );

  app.post(
    '/console/:slug/members/:userId/remove',
    { schema: { ...hide, params: memberParams, body: z.object(csrf), response: redirectResponse } },
    async (request, reply) => {
      try {
        await removeMember(deps, userActor(request), { slug: request.params.slug, userId: request.params.userId });
        return reply.redirect(`/console/${request.params.slug}/members?done=memberRemoved`, 303);
      } catch (e) {
        return renderMembers(request, reply, { state: formState(request, e) }, statusOf(e));
      }
    },
  );

  app.get('/console/:slug/settings', { schema: { ...hide, params: slugParams, querystring: doneQuery, response: htmlResponse } }, async (request, reply) => {
    const scope = await authorize(deps, userActor(request), { action: 'org.manage', slug: request.params.slug });
    const m = pageContext(request).m;
    return sendHtml(reply, settingsPage(pageContext(request), { ...scope, notice: request.query.done === 'saved' ? m.account.saved : undefined }));
  });

  app.post(
    '/console/:slug/settings',
    {
      schema: {
        ...hide,
        params: slugParams,
        body: z.object({
          ...csrf,
          name: text(500),
          logoUrl: text(2100).optional(),
          languages: z.union([text(5), z.array(text(5)).max(5)]).optional(),
          timeZone: text(100).optional(),
        }),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      try {
        await updateOrganization(deps, actor, {
          slug: request.params.slug,
          name: request.body.name,
          logoUrl: request.body.logoUrl,
          languages: request.body.languages,
          timeZone: request.body.timeZone,
        });
        return reply.redirect(`/console/${request.params.slug}/settings?done=saved`, 303);
      } catch (e) {
        const scope = await authorize(deps, actor, { action: 'org.manage', slug: request.params.slug });
        return sendHtml(
          reply,
          settingsPage(pageContext(request), {
            ...scope,
            state: formState(request, e, {
              name: request.body.name,
              logoUrl: request.body.logoUrl ?? '',
              ...(request.body.timeZone === undefined ? {} : { timeZone: request.body.timeZone }),
            }),
          }),
          statusOf(e),
        );
      }
    },
  );

  app.get('/console/:slug/api-keys', { schema: { ...hide, params: slugParams, querystring: doneQuery, response: htmlResponse } }, async (request, reply) => {
    const view = await listApiKeys(deps, userActor(request), { slug: request.params.slug });
    const m = pageContext(request).m;
    return sendHtml(reply, apiKeysPage(pageContext(request), { ...view, notice: request.query.done === 'revoked' ? m.console.revoked : undefined }));
  });

  app.post(
    '/console/:slug/api-keys',
    { schema: { ...hide, params: slugParams, body: z.object({ ...csrf, label: text(500).optional() }), response: htmlResponse } },
    async (request, reply) => {
      const actor = userActor(request);
      const { org, standing } = await authorize(deps, actor, { action: 'org.manage', slug: request.params.slug });
      try {
        const { key } = await createApiKey(deps, actor, { slug: org.slug, label: request.body.label });
        // Shown once, in this response only (no redirect: the key must not travel in a URL).
        return sendHtml(reply, apiKeysPage(pageContext(request), { org, standing, keys: await deps.store.apiKeys.list(org.id), newKey: key }), 201);
      } catch (e) {
        return sendHtml(
          reply,
          apiKeysPage(pageContext(request), { org, standing, keys: await deps.store.apiKeys.list(org.id), state: formState(request, e) }),
          statusOf(e),
        );
      }
    },
  );

  app.post(
    '/console/:slug/api-keys/:id/revoke',
    { schema: { ...hide, params: idParams, body: z.object(csrf), response: redirectResponse } },
    async (request, reply) => {
      await revokeApiKey(deps, userActor(request), { slug: request.params.slug, apiKeyId: request.params.id });
      return reply.redirect(`/console/${request.params.slug}/api-keys?done=revoked`, 303);
    },
  );

  app.get(
    '/console/:slug/audit',
    { schema: { ...hide, params: slugParams, querystring: z.object({ lang: z.enum(['fr', 'en']).optional() }), response: htmlResponse } },
    async (request, reply) => {
      const view = await listOrgAudit(deps, userActor(request), { slug: request.params.slug });
      const actors = new Map((await deps.store.memberships.list(view.org.id)).map((mb) => [mb.userId, mb.displayName]));
      return sendHtml(reply, auditPage(pageContext(request), { ...view, actors }));
    },
  );
};
