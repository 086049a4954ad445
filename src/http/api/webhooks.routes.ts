/**
 * `/api/v1/webhooks`: the API key's organisation's outbound webhooks. Registered inside the v1 scope, so the
 * Bearer-key authentication (and Idempotency-Key on POST) applies. A webhook of another organisation is 404.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { type WebhookActor, createWebhook, deleteWebhook, listDeliveries, listWebhooks } from '../../domain/webhooks/manage-webhooks.js';
import type { AppDeps } from '../deps.js';
import { problemResponses } from './schemas.js';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhooks/model.js';
import { EventTypeSchema, WebhookDeliverySchema, WebhookSchema, presentDelivery, presentWebhook } from '../presenters/webhook.js';

/** The API key (its own organisation is the one `authorize` resolves when no slug is given). */
function apiScope(request: FastifyRequest): { actor: WebhookActor } {
  const actor = request.actor;
  if (actor?.kind !== 'apiKey' || !request.apiOrg) throw new AppError('AUTH_REQUIRED');
  return { actor };
}

export const webhooksApiRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const security = [{ apiKey: [] }];
  const tags = ['webhooks'];
  const idParams = z.object({ id: z.string().min(1).max(64) });

  app.get(
    '/webhooks',
    {
      schema: {
        summary: 'Webhook endpoints of the organisation',
        tags,
        security,
        response: { 200: z.object({ data: z.array(WebhookSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const { actor } = apiScope(request);
      const { webhooks } = await listWebhooks(deps, actor, {});
      return { data: webhooks.map(presentWebhook) };
    },
  );

  app.post(
    '/webhooks',
    {
      schema: {
        summary: 'Add a webhook endpoint (at most 10); the signing secret is returned once',
        description:
          'Each event is POSTed as JSON `{ id, type, createdAt, organization: { slug }, data }` with the headers ' +
          '`Sceau-Event-Id`, `Sceau-Event-Type` and `Sceau-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. ' +
          'A 2xx answer within 10 s delivers it; otherwise it is retried after 1 min, 2, 4… (8 attempts).',
        tags,
        security,
        body: z
          .object({
            url: z.string().max(2048).describe('https:// address of the receiver'),
            events: z.array(EventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length),
          })
          .strict(),
        response: { 201: WebhookSchema.extend({ secret: z.string().describe('whsec_…: shown once') }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { actor } = apiScope(request);
      const { webhook, secret } = await createWebhook(deps, actor, request.body);
      return reply.code(201).send({ ...presentWebhook(webhook), secret });
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Delete a webhook endpoint and its delivery log',
        tags,
        security,
        params: idParams,
        response: { 204: z.null().describe('Deleted'), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { actor } = apiScope(request);
      await deleteWebhook(deps, actor, { webhookId: request.params.id });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        summary: 'The latest 100 deliveries of a webhook endpoint',
        tags,
        security,
        params: idParams,
        response: { 200: z.object({ data: z.array(WebhookDeliverySchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const { actor } = apiScope(request);
      const { deliveries } = await listDeliveries(deps, actor, { webhookId: request.params.id });
      return { data: deliveries.map(presentDelivery) };
    },
  );
};
