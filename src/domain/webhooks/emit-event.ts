import { addMs } from '../shared/clock.js';
import type { Clock, Secrets } from '../shared/ports.js';
import type { Repositories } from '../shared/store.js';
import { type WebhookEventType, isWebhookEventType, WEBHOOK_MAX_ATTEMPTS, webhookRetryDelayMs, type Webhook, type WebhookAttemptResult } from './model.js';

/**
 * Records an organisation event for its webhooks. Call it INSIDE the transaction that makes the change (`tx`), so
 * the event exists exactly when the change does: one pending delivery per active endpoint subscribed to `type`, all
 * with the same event id, payload `{ id, type, createdAt, organization: { slug }, data }` frozen now. `data` must be
 * JSON-serialisable and hold what a receiver may see (no secrets, no link tokens). `webhooks`: the organisation's
 * endpoints as already listed in this transaction (a batch emitting many events lists them once).
 */
export async function emitOrgEvent(
  tx: Repositories,
  deps: { clock: Clock; secrets: Pick<Secrets, 'newId' | 'newPublicId'> },
  event: { orgId: string; type: WebhookEventType; data: Record<string, unknown>; webhooks?: Webhook[] },
): Promise<void> {
  const { orgId, type, data, webhooks } = event;
  if (!isWebhookEventType(type)) throw new Error(`unknown webhook event type ${String(type)}`);
  const targets = (webhooks ?? (await tx.webhooks.list(orgId))).filter((w) => !w.disabledAt && w.events.includes(type));
  if (!targets.length) return;
  const org = await tx.organizations.findById(orgId);
  if (!org) return;
  const now = deps.clock.now();
  const eventId = deps.secrets.newPublicId();
  const payload = JSON.stringify({ id: eventId, type, createdAt: now.toISOString(), organization: { slug: org.slug }, data });
  for (const webhook of targets) {
    await tx.webhooks.addDelivery({
      id: deps.secrets.newId(),
      webhookId: webhook.id,
      orgId,
      eventId,
      eventType: type,
      payload,
      status: 'pending',
      attempts: 0,
      lastStatusCode: null,
      lastError: null,
      nextAttemptAt: now,
      deliveredAt: null,
      createdAt: now,
    });
  }
}

/** The outcome to record after attempt `attempt` (1-based) ended with `statusCode` (null: no HTTP answer). */
export function webhookAttemptOutcome(now: Date, attempt: number, outcome: { statusCode: number | null; error: string | null }): WebhookAttemptResult {
  const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
  if (ok) return { status: 'delivered', statusCode: outcome.statusCode, error: null, nextAttemptAt: null, deliveredAt: now };
  const error = outcome.error ?? `HTTP ${outcome.statusCode}`;
  if (attempt >= WEBHOOK_MAX_ATTEMPTS) return { status: 'dead', statusCode: outcome.statusCode, error, nextAttemptAt: null, deliveredAt: null };
  return { status: 'pending', statusCode: outcome.statusCode, error, nextAttemptAt: addMs(now, webhookRetryDelayMs(attempt)), deliveredAt: null };
}
