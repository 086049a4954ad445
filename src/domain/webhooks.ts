/**
 * Outbound webhooks per organisation: endpoints, their HMAC secrets, the events they take, and the delivery log.
 *
 * - Other use cases call `emitOrgEvent(tx, deps, orgId, type, data)` inside the transaction that makes the change:
 *   one pending delivery row per subscribed endpoint, payload frozen there and then. Nothing is sent before the
 *   transaction commits (the store announces the rows after commit; the worker's sweeper finds any it missed).
 * - The worker sends each row (src/jobs/webhook-sender.ts) through the SSRF guard, signed with the endpoint's
 *   secret, and retries with exponential back-off (1 min × 2^(n−1), capped at 6 h) up to 8 attempts, then `dead`.
 * - Secrets (`whsec_…`) are shown once, at creation and rotation; the database keeps them sealed with the master key.
 * - Access: the organisation's admins (web console) or its API keys; anything of another organisation is NOT_FOUND.
 */
import { recordAudit } from './audit.js';
import { HOUR, MINUTE, addMs } from './clock.js';
import { AppError } from './errors.js';
import type { Actor, Organization } from './model.js';
import { requireOrgRole } from './organizations.js';
import type { Clock, Secrets } from './ports.js';
import type { Repositories, Store } from './repositories.js';
import { normalizeUrl } from './validation.js';

export const WEBHOOK_EVENT_TYPES = ['credential.issued', 'credential.claimed', 'credential.revoked', 'job.completed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const isWebhookEventType = (v: unknown): v is WebhookEventType => WEBHOOK_EVENT_TYPES.includes(v as WebhookEventType);

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Endpoints per organisation. */
export const WEBHOOKS_PER_ORG = 10;
/** Attempts per delivery before it is `dead` (a redelivery starts a new round). */
export const WEBHOOK_MAX_ATTEMPTS = 8;
export const WEBHOOK_RETRY_BASE_MS = MINUTE;
export const WEBHOOK_RETRY_MAX_MS = 6 * HOUR;
/** Rows shown in the delivery log. */
export const WEBHOOK_LOG_LIMIT = 100;

/** Wait after failed attempt `attempt` (1-based): 1 min × 2^(attempt−1), capped at 6 h. */
export function webhookRetryDelayMs(attempt: number): number {
  return Math.min(WEBHOOK_RETRY_MAX_MS, WEBHOOK_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
}

export interface Webhook {
  id: string;
  orgId: string;
  url: string;
  events: WebhookEventType[];
  createdBy: string | null;
  createdAt: Date;
  /** Set when the endpoint takes no new events (reserved for operators; deleting removes the row). */
  disabledAt: Date | null;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  orgId: string;
  eventId: string;
  eventType: WebhookEventType;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  /** When a pending row is due (pushed out while an attempt is in flight); null once delivered or dead. */
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

/** A delivery in the log, with the endpoint it goes to. */
export type WebhookDeliveryView = WebhookDelivery & { url: string };

/** What the sender needs for one attempt. */
export interface ClaimedWebhookDelivery {
  delivery: WebhookDelivery;
  payload: string;
  url: string;
  secretSealed: string;
  webhookDisabled: boolean;
}

export interface WebhookAttemptResult {
  status: WebhookDeliveryStatus;
  statusCode: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
}

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

type UserActor = Extract<Actor, { kind: 'user' }>;
type ApiKeyActor = Extract<Actor, { kind: 'apiKey' }>;
/** Admins through the console, or the organisation's API keys. */
export type WebhookActor = UserActor | ApiKeyActor;

export interface WebhookDeps {
  store: Store;
  clock: Clock;
  secrets: Secrets;
  /**
   * Resolves a webhook URL's host and returns an address deliveries would refuse (private, loopback, link-local and
   * not allowed by the operator), or undefined (src/crypto/guarded-fetch.ts, the same rule as deliveries).
   */
  checkWebhookTarget?: (url: string) => Promise<string | undefined>;
}

/**
 * The organisation the actor may manage webhooks of: an admin's (NOT_FOUND for non-members, FORBIDDEN for other
 * roles), or the API key's own (NOT_FOUND for any other slug).
 */
export async function webhookOrg(deps: Pick<WebhookDeps, 'store'>, actor: WebhookActor, slug: string): Promise<Organization> {
  if (actor.kind === 'user') return (await requireOrgRole(deps, actor, slug, ['admin'])).org;
  const org = await deps.store.organizations.findById(actor.orgId);
  if (!org || org.slug !== slug) throw new AppError('NOT_FOUND');
  return org;
}

function normalizeEvents(raw: unknown): WebhookEventType[] {
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null || raw === '' ? [] : [raw];
  if (!list.length || list.length > WEBHOOK_EVENT_TYPES.length * 2 || !list.every(isWebhookEventType)) {
    throw new AppError('WEBHOOK_EVENTS_INVALID', {}, { field: 'events' });
  }
  // Catalogue order, no duplicates.
  return WEBHOOK_EVENT_TYPES.filter((t) => list.includes(t));
}

function normalizeWebhookUrl(raw: unknown): string {
  const url = normalizeUrl(raw, 'url');
  if (!url) throw new AppError('URL_INVALID', {}, { field: 'url' });
  return url;
}

const newSecret = (deps: Pick<WebhookDeps, 'secrets'>) => WEBHOOK_SECRET_PREFIX + deps.secrets.newToken();

export async function listWebhooks(deps: WebhookDeps, actor: WebhookActor, slug: string): Promise<{ org: Organization; webhooks: Webhook[] }> {
  const org = await webhookOrg(deps, actor, slug);
  return { org, webhooks: await deps.store.webhooks.list(org.id) };
}

/** Creates an endpoint. The secret is returned once; the database keeps it sealed. */
export async function createWebhook(
  deps: WebhookDeps, actor: WebhookActor, slug: string, input: { url: unknown; events: unknown },
): Promise<{ webhook: Webhook; secret: string }> {
  const org = await webhookOrg(deps, actor, slug);
  const url = normalizeWebhookUrl(input.url);
  const events = normalizeEvents(input.events);
  // Refused now rather than failing at every delivery.
  const blocked = await deps.checkWebhookTarget?.(url);
  if (blocked) throw new AppError('WEBHOOK_URL_PRIVATE', { host: new URL(url).hostname, address: blocked }, { field: 'url' });
  const secret = newSecret(deps);
  const webhook: Webhook = {
    id: deps.secrets.newId(), orgId: org.id, url, events, createdBy: actor.kind === 'user' ? actor.userId : null,
    createdAt: deps.clock.now(), disabledAt: null,
  };
  await deps.store.transaction(async (tx) => {
    if ((await tx.webhooks.list(org.id)).length >= WEBHOOKS_PER_ORG) throw new AppError('WEBHOOK_LIMIT', { max: WEBHOOKS_PER_ORG });
    await tx.webhooks.create({ ...webhook, secretSealed: deps.secrets.seal(secret) });
    await recordAudit(tx, deps, actor, { action: 'webhook.created', orgId: org.id, targetType: 'webhook', targetId: webhook.id, details: { events } });
  });
  return { webhook, secret };
}

export async function deleteWebhook(deps: WebhookDeps, actor: WebhookActor, slug: string, webhookId: string): Promise<void> {
  const org = await webhookOrg(deps, actor, slug);
  await deps.store.transaction(async (tx) => {
    if (!(await tx.webhooks.delete(org.id, webhookId))) throw new AppError('NOT_FOUND');
    await recordAudit(tx, deps, actor, { action: 'webhook.deleted', orgId: org.id, targetType: 'webhook', targetId: webhookId });
  });
}

/** A new secret, returned once; the old one stops signing at once (deliveries in flight use the new one). */
export async function rotateWebhookSecret(
  deps: WebhookDeps, actor: WebhookActor, slug: string, webhookId: string,
): Promise<{ webhook: Webhook; secret: string }> {
  const org = await webhookOrg(deps, actor, slug);
  const secret = newSecret(deps);
  const webhook = await deps.store.transaction(async (tx) => {
    const found = await tx.webhooks.find(org.id, webhookId);
    if (!found || !(await tx.webhooks.setSecret(org.id, webhookId, deps.secrets.seal(secret)))) throw new AppError('NOT_FOUND');
    await recordAudit(tx, deps, actor, { action: 'webhook.secret_rotated', orgId: org.id, targetType: 'webhook', targetId: webhookId });
    return found;
  });
  return { webhook, secret };
}

/** The latest 100 deliveries of the organisation, or of one of its endpoints (NOT_FOUND for a foreign one). */
export async function listDeliveries(
  deps: WebhookDeps, actor: WebhookActor, slug: string, webhookId?: string,
): Promise<{ org: Organization; deliveries: WebhookDeliveryView[] }> {
  const org = await webhookOrg(deps, actor, slug);
  if (webhookId !== undefined && !(await deps.store.webhooks.find(org.id, webhookId))) throw new AppError('NOT_FOUND');
  return { org, deliveries: await deps.store.webhooks.listDeliveries(org.id, { webhookId, limit: WEBHOOK_LOG_LIMIT }) };
}

/** Puts a dead delivery back in the queue (same event id and payload, a fresh round of attempts). */
export async function redeliver(deps: WebhookDeps, actor: WebhookActor, slug: string, deliveryId: string): Promise<void> {
  const org = await webhookOrg(deps, actor, slug);
  await deps.store.transaction(async (tx) => {
    const delivery = await tx.webhooks.findDelivery(org.id, deliveryId);
    if (!delivery) throw new AppError('NOT_FOUND');
    if (delivery.status !== 'dead' || !(await tx.webhooks.requeue(org.id, deliveryId, deps.clock.now()))) {
      throw new AppError('WEBHOOK_DELIVERY_NOT_DEAD');
    }
    await recordAudit(tx, deps, actor, {
      action: 'webhook.redelivered', orgId: org.id, targetType: 'webhook_delivery', targetId: deliveryId, details: { eventId: delivery.eventId },
    });
  });
}

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
  orgId: string,
  type: WebhookEventType,
  data: Record<string, unknown>,
  webhooks?: Webhook[],
): Promise<void> {
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
      id: deps.secrets.newId(), webhookId: webhook.id, orgId, eventId, eventType: type, payload, status: 'pending', attempts: 0,
      lastStatusCode: null, lastError: null, nextAttemptAt: now, deliveredAt: null, createdAt: now,
    });
  }
}

/** The outcome to record after attempt `attempt` (1-based) ended with `statusCode` (null: no HTTP answer). */
export function webhookAttemptOutcome(
  now: Date, attempt: number, outcome: { statusCode: number | null; error: string | null },
): WebhookAttemptResult {
  const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
  if (ok) return { status: 'delivered', statusCode: outcome.statusCode, error: null, nextAttemptAt: null, deliveredAt: now };
  const error = outcome.error ?? `HTTP ${outcome.statusCode}`;
  if (attempt >= WEBHOOK_MAX_ATTEMPTS) return { status: 'dead', statusCode: outcome.statusCode, error, nextAttemptAt: null, deliveredAt: null };
  return { status: 'pending', statusCode: outcome.statusCode, error, nextAttemptAt: addMs(now, webhookRetryDelayMs(attempt)), deliveredAt: null };
}
