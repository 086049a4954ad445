/**
 * Sends one webhook delivery (job `webhook.deliver@1`): an HTTP POST of the frozen payload through the SSRF guard,
 * signed with the endpoint's secret.
 *
 * Headers: `Content-Type: application/json`, `User-Agent: Sceau-Webhooks/1`, `Sceau-Event-Id`, `Sceau-Event-Type`,
 * `Sceau-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` where the HMAC key is the whole
 * secret string (`whsec_…`, UTF-8). A 2xx answer delivers; any other status or a network error is retried with
 * back-off (the row's `next_attempt_at`; the worker's sweeper enqueues it when due), then the row is `dead`.
 *
 * At least once: a receiver should deduplicate on `Sceau-Event-Id` (a worker killed after the POST but before the
 * row was updated sends it again). Within one worker pool, the claim on the row keeps one attempt in flight.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock, JobQueue, Secrets } from '../domain/shared/ports.js';
import type { Store } from '../domain/shared/store.js';
import { GuardedFetchError, type GuardedPost, POST_TIMEOUT_MS } from '../crypto/guarded-fetch.js';
import type { WebhookDeliveryStatus } from '../domain/webhooks/model.js';
import { webhookAttemptOutcome } from '../domain/webhooks/emit-event.js';

export const WEBHOOK_USER_AGENT = 'Sceau-Webhooks/1';
/** How long a claimed attempt keeps the row away from the sweeper (well beyond the 10 s request deadline). */
const CLAIM_MS = POST_TIMEOUT_MS * 6;

/** `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** What a receiver does (documented for integrators; used by the tests): checks v1 and the timestamp's age. */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  { body, nowSeconds, toleranceSeconds = 300 }: { body: string; nowSeconds: number; toleranceSeconds?: number },
): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

export interface WebhookSenderDeps {
  store: Store;
  clock: Clock;
  secrets: Secrets;
  post: GuardedPost;
}

export type WebhookSendOutcome =
  { sent: false; reason: 'not-due' } | { sent: true; status: WebhookDeliveryStatus; attempt: number; statusCode: number | null; error: string | null };

/**
 * One attempt at delivery `deliveryId`, if it is pending and due (otherwise nothing: a stale or duplicate job).
 * Never throws for an HTTP or network failure: the outcome is recorded on the row.
 */
export async function deliverWebhook(deps: WebhookSenderDeps, deliveryId: string): Promise<WebhookSendOutcome> {
  const now = deps.clock.now();
  const claimed = await deps.store.webhooks.claimDelivery(deliveryId, now, new Date(now.getTime() + CLAIM_MS));
  if (!claimed) return { sent: false, reason: 'not-due' };
  const { delivery, payload } = claimed;
  const attempt = delivery.attempts + 1;
  let statusCode: number | null = null;
  let error: string | null = null;
  if (claimed.webhookDisabled) {
    error = 'webhook disabled';
    const result = { status: 'dead' as const, statusCode: null, error, nextAttemptAt: null, deliveredAt: null };
    await deps.store.webhooks.recordAttempt(delivery.id, delivery.attempts, result);
    return { sent: true, status: 'dead', attempt, statusCode, error };
  }
  try {
    const secret = deps.secrets.open(claimed.secretSealed);
    const timestamp = Math.floor(now.getTime() / 1000);
    const res = await deps.post(claimed.url, payload, {
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'sceau-event-id': delivery.eventId,
      'sceau-event-type': delivery.eventType,
      'sceau-signature': signWebhook(secret, timestamp, payload),
    });
    statusCode = res.status;
  } catch (e) {
    error = e instanceof GuardedFetchError ? `${e.code}: ${e.message}` : 'request failed';
  }
  const result = webhookAttemptOutcome(deps.clock.now(), attempt, { statusCode, error });
  await deps.store.webhooks.recordAttempt(delivery.id, delivery.attempts, result);
  return { sent: true, status: result.status, attempt, statusCode, error: result.error };
}

// ---- Queue glue (worker and compose) -----------------------------------------------------------------

/** Job attempts for an unexpected failure of the handler itself (the HTTP retries live on the row). */
const JOB_MAX_ATTEMPTS = 3;
/** How often the worker looks for due pending deliveries (retries, and rows whose enqueue was lost). */
export const WEBHOOK_SWEEP_EVERY_MS = 5_000;

/** Enqueues one attempt at a delivery (idempotent: the delivery id is the singleton key). */
export function enqueueWebhookDelivery(jobs: JobQueue, deliveryId: string): Promise<string | null> {
  return jobs.enqueue('webhook.deliver@1', { deliveryId }, { singletonKey: deliveryId, maxAttempts: JOB_MAX_ATTEMPTS });
}

/** Enqueues every pending delivery that is due; returns how many. */
export async function sweepWebhookDeliveries(deps: { store: Store; clock: Clock; jobs: JobQueue }, limit = 500): Promise<number> {
  const due = await deps.store.webhooks.listDue(deps.clock.now(), limit);
  for (const deliveryId of due) await enqueueWebhookDelivery(deps.jobs, deliveryId);
  return due.length;
}
