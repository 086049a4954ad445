import type { AuditEvent } from './model.js';
import type { MailKind, OutboxMail, OutgoingMail } from './mail.js';

/**
 * Ports: the side effects the domain needs, as types only. Adapters in `src/store`, `src/crypto`,
 * `src/jobs` and `src/mail` implement them; `src/compose.ts` wires them.
 */

/** Injected clock: every expiry rule reads time from here (tests use a fixed, movable clock). */
export interface Clock {
  now(): Date;
}

/** Randomness and hashing of secrets. Every token comes from a CSPRNG; only hashes are stored. */
export interface Secrets {
  /** Time-ordered internal id (UUIDv7 text). */
  newId(): string;
  /** Random public id (UUIDv4, 122 random bits). */
  newPublicId(): string;
  /** 256-bit random token, base64url (43 chars). */
  newToken(): string;
  /** Six random decimal digits. */
  newCode(): string;
  /** SHA-256 hex of a token (what the database stores). */
  hashToken(token: string): string;
  /** Keyed HMAC (hex) for values that need a stable, non-reversible key (e.g. throttle keys). */
  mac(purpose: string, value: string): string;
  /** Authenticated encryption with the master key (AES-256-GCM), for secrets that must be read back. */
  seal(plaintext: string): string;
  open(sealed: string): string;
}

// ---- Jobs ---------------------------------------------------------------------------------------

/** Versioned job names and their payloads. A new payload shape means a new version. */
export interface JobPayloads {
  'mail.send@1': { mailId: string };
  /** Issues the pending rows of one part (row_no % parts = part) of a bulk issuance job. */
  'issuance.run@1': { jobId: string; part: number; parts: number };
  'webhook.deliver@1': { deliveryId: string };
  /** Issues (or re-decides) one pending automatic-issuance decision at its due time. */
  'results.issue@1': { decisionId: string };
  /** Used by the queue contract tests only. */
  'test.effect@1': { key: string; sleepMs?: number; failTimes?: number };
}
export type JobName = keyof JobPayloads;

export interface EnqueueOptions {
  /** At most one queued-or-running job per (name, singletonKey); a duplicate enqueue is a no-op. */
  singletonKey?: string;
  /** Do not start before this time. */
  runAt?: Date;
  /** Attempts before the job goes to the dead-letter state (default 8). */
  maxAttempts?: number;
}

export interface JobContext<N extends JobName = JobName> {
  id: string;
  name: N;
  payload: JobPayloads[N];
  /** 1 for the first run. */
  attempt: number;
}

export type JobHandler<N extends JobName = JobName> = (job: JobContext<N>) => Promise<void>;

export interface JobQueue {
  /** Returns the job id, or null when a singleton duplicate was dropped. */
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options?: EnqueueOptions): Promise<string | null>;
  /** Register a handler; jobs are fetched once `start()` is called (worker side only). */
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: { concurrency?: number }): void;
  start(): Promise<void>;
  /** Stop fetching, wait for running handlers (up to a grace period). */
  stop(): Promise<void>;
  /** Counts per state, for the admin and the tests. */
  counts(name: JobName): Promise<{ queued: number; running: number; done: number; dead: number }>;
}
export interface AuditRepository {
  record(event: AuditEvent): Promise<void>;
  /** Several events in one statement (bulk issuance). */
  recordMany(events: AuditEvent[]): Promise<void>;
  listForOrg(orgId: string, limit: number): Promise<AuditEvent[]>;
  listAll(limit: number): Promise<AuditEvent[]>;
}

export interface OutboxRepository {
  /** Renders, seals and stores a message; it is sent after the transaction commits. Returns the mail id. */
  add<K extends MailKind>(mail: OutgoingMail<K>): Promise<string>;
  /** As `add`, for several messages in one statement; ids in the same order. */
  addMany(mails: OutgoingMail[]): Promise<string[]>;
  findById(id: string): Promise<OutboxMail | undefined>;
  /** The decrypted rendered message (platform admin's outbox view, and the sender). */
  readBody(id: string): Promise<{ subject: string; text: string; html: string } | undefined>;
  list(limit: number): Promise<OutboxMail[]>;
  /** Marks a queued message delivered; false when it was not queued any more (delivered by a concurrent run). */
  markDelivered(id: string, status: 'sent' | 'local', at: Date): Promise<boolean>;
  recordAttempt(id: string, error: string | null, dead: boolean): Promise<void>;
  /** Queued mails older than `before` (for re-enqueueing after a crash between commit and enqueue). */
  listStaleQueued(before: Date, limit: number): Promise<string[]>;
}

/** A stored `Idempotency-Key` of the JSON API (scoped to one organisation). */
export interface IdempotencyRecord {
  orgId: string;
  key: string;
  /** Keyed SHA-256 of method, path and canonical JSON body. */
  fingerprint: string;
  state: 'pending' | 'done';
  /** Set once `done`: what to replay (the body as sent, byte for byte). */
  response: { status: number; body: string; contentType: string | null } | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface IdempotencyKeysRepository {
  /**
   * Atomically claims (orgId, key) as `pending`. An expired row, or a `pending` row created before `staleBefore`
   * (its request died without releasing it), is replaced. Otherwise returns the live record that holds the key.
   */
  claim(
    record: { orgId: string; key: string; fingerprint: string; createdAt: Date; expiresAt: Date },
    staleBefore: Date,
  ): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }>;
  /** Stores the response of a claimed key (`done`). */
  complete(orgId: string, key: string, fingerprint: string, response: { status: number; body: string; contentType: string | null }): Promise<void>;
  /** Deletes a still-pending claim (5xx or crash) so the client may retry with the same key. */
  release(orgId: string, key: string, fingerprint: string): Promise<void>;
  /** Deletes rows expired at `now`; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}
