import { HOUR, MINUTE } from '../shared/clock.js';

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
