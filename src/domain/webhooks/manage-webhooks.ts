/**
 * Outbound webhooks per organisation: endpoints, their HMAC secrets, the events they take, and the delivery log.
 *
 * - Other use cases call `emitOrgEvent(tx, deps, { orgId, type, data })` inside the transaction that makes the change:
 *   one pending delivery row per subscribed endpoint, payload frozen there and then. Nothing is sent before the
 *   transaction commits (the store announces the rows after commit; the worker's sweeper finds any it missed).
 * - The worker sends each row (src/jobs/webhook-sender.ts) through the SSRF guard, signed with the endpoint's
 *   secret, and retries with exponential back-off (1 min × 2^(n−1), capped at 6 h) up to 8 attempts, then `dead`.
 * - Secrets (`whsec_…`) are shown once, at creation and rotation; the database keeps them sealed with the master key.
 * - Access: the organisation's admins (web console) or its API keys; anything of another organisation is NOT_FOUND.
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { type OrgScope, authorize } from '../shared/policies.js';
import type { Clock, Secrets } from '../shared/ports.js';
import type { Store } from '../shared/store.js';
import { normalizeUrl } from '../shared/validation.js';
import {
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  isWebhookEventType,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOKS_PER_ORG,
  WEBHOOK_LOG_LIMIT,
  type Webhook,
  type WebhookDeliveryView,
} from './model.js';
type UserActor = Extract<Actor, { kind: 'user' }>;
type ApiKeyActor = Extract<Actor, { kind: 'apiKey' }>;
/** Admins through the console, or the organisation's API keys (any actor goes through `authorize`). */
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
 * The organisation the actor may manage webhooks of (see `authorize`): an admin's (NOT_FOUND for non-members,
 * FORBIDDEN for other roles), or the API key's own (NOT_FOUND for any other slug; `slug` may be omitted).
 */
const webhookScope = (deps: Pick<WebhookDeps, 'store'>, actor: Actor, slug: string | undefined): Promise<OrgScope> =>
  authorize(deps, actor, { action: 'webhooks.manage', slug });

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

export async function listWebhooks(deps: WebhookDeps, actor: Actor, input: { slug?: string }): Promise<OrgScope & { webhooks: Webhook[] }> {
  const scope = await webhookScope(deps, actor, input.slug);
  return { ...scope, webhooks: await deps.store.webhooks.list(scope.org.id) };
}

/** Creates an endpoint. The secret is returned once; the database keeps it sealed. */
export async function createWebhook(
  deps: WebhookDeps,
  actor: Actor,
  input: { slug?: string; url: unknown; events: unknown },
): Promise<{ webhook: Webhook; secret: string }> {
  const { org } = await webhookScope(deps, actor, input.slug);
  const url = normalizeWebhookUrl(input.url);
  const events = normalizeEvents(input.events);
  // Refused now rather than failing at every delivery.
  const blocked = await deps.checkWebhookTarget?.(url);
  if (blocked) throw new AppError('WEBHOOK_URL_PRIVATE', { host: new URL(url).hostname, address: blocked }, { field: 'url' });
  const secret = newSecret(deps);
  const webhook: Webhook = {
    id: deps.secrets.newId(),
    orgId: org.id,
    url,
    events,
    createdBy: actor.kind === 'user' ? actor.userId : null,
    createdAt: deps.clock.now(),
    disabledAt: null,
  };
  await deps.store.transaction(async (tx) => {
    if ((await tx.webhooks.list(org.id)).length >= WEBHOOKS_PER_ORG) throw new AppError('WEBHOOK_LIMIT', { max: WEBHOOKS_PER_ORG });
    await tx.webhooks.create({ ...webhook, secretSealed: deps.secrets.seal(secret) });
    await recordAudit(tx, deps, { actor, action: 'webhook.created', orgId: org.id, targetType: 'webhook', targetId: webhook.id, details: { events } });
  });
  return { webhook, secret };
}

export async function deleteWebhook(deps: WebhookDeps, actor: Actor, input: { slug?: string; webhookId: string }): Promise<void> {
  const { webhookId } = input;
  const { org } = await webhookScope(deps, actor, input.slug);
  await deps.store.transaction(async (tx) => {
    if (!(await tx.webhooks.delete(org.id, webhookId))) throw new AppError('NOT_FOUND');
    await recordAudit(tx, deps, { actor, action: 'webhook.deleted', orgId: org.id, targetType: 'webhook', targetId: webhookId });
  });
}

/** A new secret, returned once; the old one stops signing at once (deliveries in flight use the new one). */
export async function rotateWebhookSecret(
  deps: WebhookDeps,
  actor: Actor,
  input: { slug?: string; webhookId: string },
): Promise<{ webhook: Webhook; secret: string }> {
  const { webhookId } = input;
  const { org } = await webhookScope(deps, actor, input.slug);
  const secret = newSecret(deps);
  const webhook = await deps.store.transaction(async (tx) => {
    const found = await tx.webhooks.find(org.id, webhookId);
    if (!found || !(await tx.webhooks.setSecret(org.id, webhookId, deps.secrets.seal(secret)))) throw new AppError('NOT_FOUND');
    await recordAudit(tx, deps, { actor, action: 'webhook.secret_rotated', orgId: org.id, targetType: 'webhook', targetId: webhookId });
    return found;
  });
  return { webhook, secret };
}

/** The latest 100 deliveries of the organisation, or of one of its endpoints (NOT_FOUND for a foreign one). */
export async function listDeliveries(
  deps: WebhookDeps,
  actor: Actor,
  input: { slug?: string; webhookId?: string },
): Promise<OrgScope & { deliveries: WebhookDeliveryView[] }> {
  const { webhookId } = input;
  const scope = await webhookScope(deps, actor, input.slug);
  const { org } = scope;
  if (webhookId !== undefined && !(await deps.store.webhooks.find(org.id, webhookId))) throw new AppError('NOT_FOUND');
  return { ...scope, deliveries: await deps.store.webhooks.listDeliveries(org.id, { webhookId, limit: WEBHOOK_LOG_LIMIT }) };
}

/** Puts a dead delivery back in the queue (same event id and payload, a fresh round of attempts). */
export async function redeliver(deps: WebhookDeps, actor: Actor, input: { slug?: string; deliveryId: string }): Promise<void> {
  const { deliveryId } = input;
  const { org } = await webhookScope(deps, actor, input.slug);
  await deps.store.transaction(async (tx) => {
    const delivery = await tx.webhooks.findDelivery(org.id, deliveryId);
    if (!delivery) throw new AppError('NOT_FOUND');
    if (delivery.status !== 'dead' || !(await tx.webhooks.requeue(org.id, deliveryId, deps.clock.now()))) {
      throw new AppError('WEBHOOK_DELIVERY_NOT_DEAD');
    }
    await recordAudit(tx, deps, {
      actor,
      action: 'webhook.redelivered',
      orgId: org.id,
      targetType: 'webhook_delivery',
      targetId: deliveryId,
      details: { eventId: delivery.eventId },
    });
  });
}
