/**
 * Console: an organisation's webhooks (admins only). Secrets appear in the response to the creation or rotation
 * only, never in a URL. Anything of another organisation answers 404, like an unknown id.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createWebhook, deleteWebhook, listDeliveries, listWebhooks, redeliver, rotateWebhookSecret } from '../../domain/webhooks/manage-webhooks.js';
import type { AppDeps } from '../../http/deps.js';
import { pageContext } from '../layout.js';
import type { FormState } from '../pages/auth.js';
import { webhooksPage } from '../pages/webhooks.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, statusOf, text, userActor } from './helpers.js';
import type { Webhook } from '../../domain/webhooks/model.js';

const DONE = ['deleted', 'redelivered'] as const;

export const webhooksRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const slugParams = z.object({ slug: text(63) });
  const idParams = z.object({ slug: text(63), id: text(64) });
  const lang = { lang: z.enum(['fr', 'en']).optional() };

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    slug: string,
    extra: { notice?: string; state?: FormState; secret?: { webhook: Webhook; value: string; rotated: boolean } } = {},
    status = 200,
  ) {
    const actor = userActor(request);
    const { org, standing, webhooks } = await listWebhooks(deps, actor, { slug });
    const { deliveries } = await listDeliveries(deps, actor, { slug });
    return sendHtml(reply, webhooksPage(pageContext(request), { org, standing, webhooks, deliveries, ...extra }), status);
  }

  app.get(
    '/console/:slug/webhooks',
    {
      schema: { ...hide, params: slugParams, querystring: z.object({ ...lang, done: z.enum(DONE).optional() }), response: htmlResponse },
    },
    async (request, reply) => {
      const m = pageContext(request).m;
      const done = request.query.done;
      return render(request, reply, request.params.slug, { notice: done ? m.webhooks[done] : undefined });
    },
  );

  app.post(
    '/console/:slug/webhooks',
    {
      schema: {
        ...hide,
        params: slugParams,
        body: z.object({ ...csrf, url: text(2100), events: z.union([text(40), z.array(text(40)).max(20)]).optional() }),
        response: { 201: z.string().describe('HTML page'), ...htmlResponse },
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { slug } = request.params;
      try {
        const { webhook, secret } = await createWebhook(deps, actor, { slug, url: request.body.url, events: request.body.events });
        // Shown once, in this response only (no redirect: the secret must not travel in a URL).
        return await render(request, reply, slug, { secret: { webhook, value: secret, rotated: false } }, 201);
      } catch (e) {
        const events = request.body.events === undefined ? [] : ([] as string[]).concat(request.body.events);
        const state = formState(request, e, { url: request.body.url, events: events.join(',') });
        return render(request, reply, slug, { state }, statusOf(e));
      }
    },
  );

  app.post(
    '/console/:slug/webhooks/:id/rotate',
    {
      schema: { ...hide, params: idParams, body: z.object(csrf), response: htmlResponse },
    },
    async (request, reply) => {
      const { webhook, secret } = await rotateWebhookSecret(deps, userActor(request), { slug: request.params.slug, webhookId: request.params.id });
      return render(request, reply, request.params.slug, { secret: { webhook, value: secret, rotated: true } });
    },
  );

  app.post(
    '/console/:slug/webhooks/:id/delete',
    {
      schema: { ...hide, params: idParams, body: z.object(csrf), response: redirectResponse },
    },
    async (request, reply) => {
      await deleteWebhook(deps, userActor(request), { slug: request.params.slug, webhookId: request.params.id });
      return reply.redirect(`/console/${request.params.slug}/webhooks?done=deleted`, 303);
    },
  );

  app.post(
    '/console/:slug/webhook-deliveries/:id/redeliver',
    {
      schema: { ...hide, params: idParams, body: z.object(csrf), response: redirectResponse },
    },
    async (request, reply) => {
      try {
        await redeliver(deps, userActor(request), { slug: request.params.slug, deliveryId: request.params.id });
        return reply.redirect(`/console/${request.params.slug}/webhooks?done=redelivered`, 303);
      } catch (e) {
        return render(request, reply, request.params.slug, { state: formState(request, e) }, statusOf(e));
      }
    },
  );
};
