import type { Kysely, Selectable } from 'kysely';
import { affected, fromDate, fromDateOrNull, toDate, toDateOrNull } from './mappers.js';
import type { Database } from './tables.js';
import type { WebhookDelivery, WebhookDeliveryStatus, WebhookEventType, Webhook } from '../domain/webhooks/model.js';
import type { WebhooksRepository } from '../domain/webhooks/ports.js';

const rowToWebhook = (r: Selectable<Database['webhooks']>): Webhook => ({
  id: r.id,
  orgId: r.org_id,
  url: r.url,
  events: JSON.parse(r.events) as WebhookEventType[],
  createdBy: r.created_by,
  createdAt: toDate(r.created_at),
  disabledAt: toDateOrNull(r.disabled_at),
});

type DeliveryRow = Omit<Selectable<Database['webhook_deliveries']>, 'payload'>;
const DELIVERY_COLUMNS = [
  'webhook_deliveries.id',
  'webhook_deliveries.webhook_id',
  'webhook_deliveries.org_id',
  'webhook_deliveries.event_id',
  'webhook_deliveries.event_type',
  'webhook_deliveries.status',
  'webhook_deliveries.attempts',
  'webhook_deliveries.last_status_code',
  'webhook_deliveries.last_error',
  'webhook_deliveries.next_attempt_at',
  'webhook_deliveries.delivered_at',
  'webhook_deliveries.created_at',
] as const;

const rowToDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  orgId: r.org_id,
  eventId: r.event_id,
  eventType: r.event_type as WebhookEventType,
  status: r.status as WebhookDeliveryStatus,
  attempts: Number(r.attempts),
  lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
  lastError: r.last_error,
  nextAttemptAt: toDateOrNull(r.next_attempt_at),
  deliveredAt: toDateOrNull(r.delivered_at),
  createdAt: toDate(r.created_at),
});

const MAX_ERROR_LENGTH = 500;

/**
 * Webhooks and their delivery log. Deliveries added inside a transaction are announced through `onQueued` after
 * it commits (see createStore), so the send job never runs before the event exists.
 */
export function webhooksRepository(db: Kysely<Database>, deps: { onQueued: (deliveryId: string) => void }): WebhooksRepository {
  return {
    async create(w) {
      await db
        .insertInto('webhooks')
        .values({
          id: w.id,
          org_id: w.orgId,
          url: w.url,
          secret_sealed: w.secretSealed,
          events: JSON.stringify(w.events),
          created_by: w.createdBy,
          created_at: fromDate(w.createdAt),
          disabled_at: fromDateOrNull(w.disabledAt),
        })
        .execute();
    },
    async list(orgId) {
      return (await db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute()).map(rowToWebhook);
    },
    async find(orgId, id) {
      const r = await db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      return r && rowToWebhook(r);
    },
    async delete(orgId, id) {
      const found = await db.selectFrom('webhooks').select('id').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!found) return false;
      // Explicit rather than relying on ON DELETE CASCADE alone (SQLite enforces it only with foreign_keys = ON).
      await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
      return affected(await db.deleteFrom('webhooks').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()) === 1;
    },
    async setSecret(orgId, id, secretSealed) {
      const r = await db.updateTable('webhooks').set({ secret_sealed: secretSealed }).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      return affected(r) === 1;
    },
    async addDelivery(d) {
      await db
        .insertInto('webhook_deliveries')
        .values({
          id: d.id,
          webhook_id: d.webhookId,
          org_id: d.orgId,
          event_id: d.eventId,
          event_type: d.eventType,
          payload: d.payload,
          status: d.status,
          attempts: d.attempts,
          last_status_code: d.lastStatusCode,
          last_error: d.lastError,
          next_attempt_at: fromDateOrNull(d.nextAttemptAt),
          delivered_at: fromDateOrNull(d.deliveredAt),
          created_at: fromDate(d.createdAt),
        })
        .execute();
      deps.onQueued(d.id);
    },
    async listDeliveries(orgId, options) {
      let q = db
        .selectFrom('webhook_deliveries')
        .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
        .select([...DELIVERY_COLUMNS, 'webhooks.url'])
        .where('webhook_deliveries.org_id', '=', orgId)
        .where('webhooks.org_id', '=', orgId);
      if (options.webhookId !== undefined) q = q.where('webhook_deliveries.webhook_id', '=', options.webhookId);
      const rows = await q.orderBy('webhook_deliveries.created_at', 'desc').orderBy('webhook_deliveries.id', 'desc').limit(options.limit).execute();
      return rows.map((r) => ({ ...rowToDelivery(r), url: r.url }));
    },
    async findDelivery(orgId, id) {
      const r = await db
        .selectFrom('webhook_deliveries')
        .select(DELIVERY_COLUMNS)
        .where('webhook_deliveries.org_id', '=', orgId)
        .where('webhook_deliveries.id', '=', id)
        .executeTakeFirst();
      return r && rowToDelivery(r);
    },
    async claimDelivery(id, now, until) {
      const claimed = await db
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: fromDate(until) })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', fromDate(now))
        .executeTakeFirst();
      if (affected(claimed) !== 1) return undefined;
      const r = await db
        .selectFrom('webhook_deliveries')
        .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
        .select([...DELIVERY_COLUMNS, 'webhook_deliveries.payload', 'webhooks.url', 'webhooks.secret_sealed', 'webhooks.disabled_at'])
        .where('webhook_deliveries.id', '=', id)
        .executeTakeFirst();
      if (!r) return undefined;
      return { delivery: rowToDelivery(r), payload: r.payload, url: r.url, secretSealed: r.secret_sealed, webhookDisabled: r.disabled_at !== null };
    },
    async recordAttempt(id, previousAttempts, result) {
      const r = await db
        .updateTable('webhook_deliveries')
        .set({
          status: result.status,
          attempts: previousAttempts + 1,
          last_status_code: result.statusCode,
          last_error: result.error === null ? null : result.error.slice(0, MAX_ERROR_LENGTH),
          next_attempt_at: fromDateOrNull(result.nextAttemptAt),
          delivered_at: fromDateOrNull(result.deliveredAt),
        })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('attempts', '=', previousAttempts)
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async requeue(orgId, id, now) {
      const r = await db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', attempts: 0, next_attempt_at: fromDate(now), delivered_at: null })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('status', '=', 'dead')
        .executeTakeFirst();
      if (affected(r) !== 1) return false;
      deps.onQueued(id);
      return true;
    },
    async listDue(now, limit) {
      return (
        await db
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', fromDate(now))
          .orderBy('next_attempt_at')
          .limit(limit)
          .execute()
      ).map((r) => r.id);
    },
  };
}
