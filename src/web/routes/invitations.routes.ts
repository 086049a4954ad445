import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import type { AppDeps } from '../../http/deps.js';
import { setSessionCookie } from '../../http/plugins/context.js';
import { pageContext } from '../layout.js';
import { invitationPage } from '../pages/console.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, text, userActor, statusOf } from './helpers.js';
import { type InvitationView, acceptInvitation, getInvitationByToken } from '../../domain/organizations/invitations.js';

/** What the invitation page shows of a valid invitation. */
function invitationView(view: InvitationView, token: string | undefined, signedInAs: string | undefined) {
  return { org: view.org, role: view.invitation.role, email: view.invitation.email, token, hasAccount: view.hasAccount, signedInAs };
}

/** Accepting an invitation: signed in (address must be on the account) or by creating an account. */
export const invitationRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };

  app.get(
    '/invitations/accept',
    {
      schema: { ...hide, querystring: z.object({ token: text(200).optional(), lang: z.enum(['fr', 'en']).optional() }), response: htmlResponse },
    },
    async (request, reply) => {
      reply.header('referrer-policy', 'strict-origin'); // not no-referrer: Chromium would then send `Origin: null` and the form POST fails the CSRF origin check
      const ctx = pageContext(request);
      try {
        const view = await getInvitationByToken(deps, request.query.token);
        return sendHtml(reply, invitationPage(ctx, invitationView(view, request.query.token, request.user?.displayName)));
      } catch (e) {
        if (e instanceof AppError && e.code === 'TOKEN_INVALID') return sendHtml(reply, invitationPage(ctx, { isInvalid: true }), 410);
        throw e;
      }
    },
  );

  app.post(
    '/invitations/accept',
    {
      schema: {
        ...hide,
        body: z.object({ ...csrf, token: text(200), displayName: text(500).optional(), password: text(1024).optional(), username: text(500).optional() }),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      reply.header('referrer-policy', 'strict-origin'); // not no-referrer: Chromium would then send `Origin: null` and the form POST fails the CSRF origin check
      const ctx = pageContext(request);
      try {
        const result = await acceptInvitation(deps, {
          token: request.body.token,
          actor: request.user ? userActor(request) : undefined,
          displayName: request.body.displayName,
          password: request.body.password,
          ip: request.ip,
        });
        if (result.session) setSessionCookie(reply, deps, result.session.token);
        return reply.redirect(`/console/${result.org.slug}`, 303);
      } catch (e) {
        if (e instanceof AppError && e.code === 'TOKEN_INVALID') return sendHtml(reply, invitationPage(ctx, { isInvalid: true }), 410);
        const view = await getInvitationByToken(deps, request.body.token).catch(() => undefined);
        if (!view) return sendHtml(reply, invitationPage(ctx, { isInvalid: true }), 410);
        const state = formState(request, e, { displayName: request.body.displayName ?? '' });
        return sendHtml(reply, invitationPage(ctx, { ...invitationView(view, request.body.token, request.user?.displayName), state }), statusOf(e));
      }
    },
  );
};
