import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isLocale } from '../../domain/shared/model.js';
import { listMyOrganizations } from '../../domain/organizations/manage-organizations.js';
import type { AppDeps } from '../../http/deps.js';
import { pageContext } from '../layout.js';
import { type AccountView, accountPage } from '../pages/account.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, text, userActor, statusOf } from './helpers.js';
import {
  changePassword,
  listEmails,
  removeEmail,
  setPrimaryEmail,
  startAddEmail,
  updateProfile,
  verifyAddEmail,
} from '../../domain/accounts/manage-account.js';

const DONE = ['saved', 'emailAdded', 'primaryChanged', 'removed', 'passwordChanged'] as const;

/** "Mon compte": profile, e-mail addresses, password. Signed-in only (the parent plugin checks). */
export const accountRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };

  async function render(request: FastifyRequest, reply: FastifyReply, extra: Partial<AccountView> = {}, status = 200) {
    const actor = userActor(request);
    const view: AccountView = {
      user: request.user!,
      emails: await listEmails(deps, actor.userId),
      orgs: await listMyOrganizations(deps, actor),
      ...extra,
    };
    return sendHtml(reply, accountPage(pageContext(request), view), status);
  }
  const done = (reply: FastifyReply, key: (typeof DONE)[number]) => reply.redirect(`/account?done=${key}`, 303);

  app.get(
    '/account',
    {
      schema: { ...hide, querystring: z.object({ done: z.enum(DONE).optional(), lang: z.enum(['fr', 'en']).optional() }), response: htmlResponse },
    },
    async (request, reply) => {
      const m = pageContext(request).m;
      return render(request, reply, { notice: request.query.done ? m.account[request.query.done] : undefined });
    },
  );

  app.post(
    '/account/profile',
    {
      schema: { ...hide, body: z.object({ ...csrf, displayName: text(500), locale: text(5) }), response: redirectResponse },
    },
    async (request, reply) => {
      try {
        await updateProfile(deps, userActor(request), {
          displayName: request.body.displayName,
          locale: isLocale(request.body.locale) ? request.body.locale : request.locale,
        });
        return done(reply, 'saved');
      } catch (e) {
        return render(request, reply, { form: 'profile', state: formState(request, e) }, statusOf(e));
      }
    },
  );

  app.post(
    '/account/emails',
    {
      schema: { ...hide, body: z.object({ ...csrf, email: text(500), password: text(1024) }), response: htmlResponse },
    },
    async (request, reply) => {
      try {
        const { flowId } = await startAddEmail(deps, userActor(request), { email: request.body.email, password: request.body.password });
        return render(request, reply, { pendingFlowId: flowId });
      } catch (e) {
        return render(request, reply, { form: 'addEmail', state: formState(request, e, { email: request.body.email }) }, statusOf(e));
      }
    },
  );

  app.post(
    '/account/emails/verify',
    {
      schema: { ...hide, body: z.object({ ...csrf, flow: text(64), code: text(20) }), response: redirectResponse },
    },
    async (request, reply) => {
      try {
        await verifyAddEmail(deps, userActor(request), { flowId: request.body.flow, code: request.body.code });
        return done(reply, 'emailAdded');
      } catch (e) {
        return render(request, reply, { form: 'verifyEmail', state: formState(request, e), pendingFlowId: request.body.flow }, statusOf(e));
      }
    },
  );

  const emailParams = z.object({ emailId: text(64) });
  app.post(
    '/account/emails/:emailId/primary',
    {
      schema: { ...hide, params: emailParams, body: z.object(csrf), response: redirectResponse },
    },
    async (request, reply) => {
      try {
        await setPrimaryEmail(deps, userActor(request), request.params.emailId);
        return done(reply, 'primaryChanged');
      } catch (e) {
        return render(request, reply, { form: 'emails', state: formState(request, e) }, statusOf(e));
      }
    },
  );

  app.post(
    '/account/emails/:emailId/remove',
    {
      schema: { ...hide, params: emailParams, body: z.object(csrf), response: redirectResponse },
    },
    async (request, reply) => {
      try {
        await removeEmail(deps, userActor(request), request.params.emailId);
        return done(reply, 'removed');
      } catch (e) {
        return render(request, reply, { form: 'emails', state: formState(request, e) }, statusOf(e));
      }
    },
  );

  app.post(
    '/account/password',
    {
      schema: {
        ...hide,
        body: z.object({ ...csrf, currentPassword: text(1024), newPassword: text(1024), username: text(500).optional() }),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      try {
        await changePassword(deps, userActor(request), {
          sessionIdHash: request.session!.idHash,
          current: request.body.currentPassword,
          next: request.body.newPassword,
        });
        return done(reply, 'passwordChanged');
      } catch (e) {
        const state = formState(request, e);
        // Field names differ between domain (password) and this form (newPassword): show everything in the summary.
        return render(request, reply, { form: 'password', state: { general: [...(state.general ?? []), ...Object.values(state.errors ?? {})] } }, statusOf(e));
      }
    },
  );
};
