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

/** argon2id hashing with bounded concurrency. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Same cost as `verify`, against a fixed dummy hash: keeps unknown accounts indistinguishable by timing. */
  verifyDummy(password: string): Promise<void>;
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
