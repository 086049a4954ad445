/** The presenter of outbound webhooks and their deliveries (JSON API). A webhook's secret is never presented. */
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES, type Webhook, type WebhookDeliveryView } from '../../domain/webhooks/model.js';

export const EventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(EventTypeSchema),
    status: z.enum(['active', 'disabled']),
    createdAt: z.string(),
  })
  .describe('Webhook endpoint (its secret is never listed)');

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string().describe('Sent as Sceau-Event-Id; receivers deduplicate on it'),
    eventType: EventTypeSchema,
    status: z.enum(['pending', 'delivered', 'dead']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .describe('Webhook delivery');

export const presentWebhook = (w: Webhook) => ({
  id: w.id,
  url: w.url,
  events: w.events,
  status: w.disabledAt ? ('disabled' as const) : ('active' as const),
  createdAt: w.createdAt.toISOString(),
});

export const presentDelivery = (d: WebhookDeliveryView) => ({
  id: d.id,
  webhookId: d.webhookId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
});
