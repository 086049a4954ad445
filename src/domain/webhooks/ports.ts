import { type Webhook, type WebhookDelivery, type WebhookDeliveryView, type ClaimedWebhookDelivery, type WebhookAttemptResult } from './model.js';

/** Store port (src/store/webhooks.repository.ts). Every read and write that takes an `orgId` is confined to it. */
export interface WebhooksRepository {
  create(webhook: Webhook & { secretSealed: string }): Promise<void>;
  /** Every endpoint of the organisation, oldest first. */
  list(orgId: string): Promise<Webhook[]>;
  find(orgId: string, id: string): Promise<Webhook | undefined>;
  /** Removes the endpoint and its delivery log; false when none matched. */
  delete(orgId: string, id: string): Promise<boolean>;
  setSecret(orgId: string, id: string, secretSealed: string): Promise<boolean>;
  /** Stores a pending delivery; it is announced (enqueued) once the transaction commits. */
  addDelivery(delivery: WebhookDelivery & { payload: string }): Promise<void>;
  /** Latest deliveries of the organisation (optionally of one endpoint), newest first. */
  listDeliveries(orgId: string, options: { webhookId?: string; limit: number }): Promise<WebhookDeliveryView[]>;
  findDelivery(orgId: string, id: string): Promise<WebhookDelivery | undefined>;
  /**
   * Claims a due pending delivery for one attempt by moving its due time to `until` (so neither the sweeper nor a
   * second job sends it meanwhile). Undefined when it is not pending, not due, or unknown.
   */
  claimDelivery(id: string, now: Date, until: Date): Promise<ClaimedWebhookDelivery | undefined>;
  /** Records the outcome of attempt `attempts + 1`, only if no other attempt was recorded since (fenced on attempts). */
  recordAttempt(id: string, previousAttempts: number, result: WebhookAttemptResult): Promise<boolean>;
  /** A dead delivery of the organisation back to pending (due now, a fresh round of attempts); announced after commit. */
  requeue(orgId: string, id: string, now: Date): Promise<boolean>;
  /** Ids of pending deliveries due at `now`, oldest due first. */
  listDue(now: Date, limit: number): Promise<string[]>;
}
