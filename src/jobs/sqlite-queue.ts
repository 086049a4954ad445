/**
 * Table-backed job queue on the `jobs` table (used with SQLite; PostgreSQL uses pg-boss).
 *
 * Safety with several processes on one SQLite file rests on two rules:
 * - a job is claimed by ONE `UPDATE … WHERE id = (SELECT …) AND status = 'queued' RETURNING *`: a write
 *   statement takes SQLite's write lock before it reads, so two pollers can never both claim a row;
 * - every later transition of a claimed job is fenced on (status, attempts, locked_by or locked_until), so a
 *   worker whose lease was taken over can never overwrite the newer owner's state.
 *
 * The lease is also the handler's deadline (as with pg-boss): a handler still running when its lease ends is
 * counted as failed, and an expired lease of a dead worker is reaped by any live poller.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Kysely, Selectable } from 'kysely';
import type { Clock, EnqueueOptions, JobContext, JobHandler, JobName, JobPayloads, JobQueue } from '../domain/shared/ports.js';
import type { Database, JobsTable } from '../store/tables.js';

/** The subset of pino the queues use. */
export interface JobLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

export type JobCounts = Awaited<ReturnType<JobQueue['counts']>>;

/** Defaults shared by both queue implementations. */
export const JOB_DEFAULTS = Object.freeze({
  pollIntervalMs: 500,
  leaseMs: 5 * 60_000,
  retryBaseMs: 5_000,
  retryMaxMs: 15 * 60_000,
  defaultMaxAttempts: 8,
  stopGraceMs: 10_000,
  concurrency: 1,
});

const MAX_ERROR_LENGTH = 1000;

/** Message only (stacks carry paths and can be huge), truncated to what we store. */
export function jobErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : safeJson(err);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 1)}…` : message;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function assertMaxAttempts(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`maxAttempts must be an integer >= 1, got ${value}`);
  return value;
}

/** SQLite's "database is locked" (SQLITE_BUSY and its extended codes), e.g. busy_timeout spent behind another writer. */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs a job-bookkeeping write again while SQLite answers busy: losing it would leave a finished (or failed) job
 * marked running until its lease expires, i.e. a bulk job stalled for minutes under heavy write load. Waits
 * asynchronously between tries (the event loop keeps serving), 50 ms doubling to 2 s, for at most `budgetMs`.
 */
export async function retryWhileBusy<T>(write: () => Promise<T>, budgetMs: number): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const delay = retryDelayMs(attempt, 50, 2_000);
      if (!isSqliteBusy(err) || Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Back-off before attempt n+1 after attempt n failed: base·2^(n-1), capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

function abandonSignal(): { promise: Promise<never>; reject: (err: Error) => void } {
  let reject!: (err: Error) => void;
  const promise = new Promise<never>((_, r) => {
    reject = r;
  });
  promise.catch(() => undefined); // only observed through Promise.race
  return { promise, reject };
}

const NOOP_LOGGER: JobLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const REAL_CLOCK: Clock = { now: () => new Date() };

/** Tuning shared by both queue implementations (see each implementation for its limits). */
export interface QueueTuning {
  /** Worker poll interval; default 500 ms (pg-boss minimum: 500 ms). */
  pollIntervalMs?: number;
  /** How long a claim is valid; also the handler's deadline. Default 5 min (pg-boss: whole seconds). */
  leaseMs?: number;
  /** First retry delay, doubled per attempt; default 5 s (pg-boss: whole seconds, with jitter). */
  retryBaseMs?: number;
  /** Back-off cap, default 15 min (pg-boss 10 cannot enforce it; only checked against the configuration). */
  retryMaxMs?: number;
  /** Default 8. */
  defaultMaxAttempts?: number;
  /** How long `stop()` waits for running handlers; default 10 s. */
  stopGraceMs?: number;
  logger?: JobLogger;
}

export interface TableJobQueueOptions extends QueueTuning {
  db: Kysely<Database>;
  /** Time source for run_at/locked_until (handler deadlines and poll timers use real time). */
  clock?: Clock;
  /** Written to `locked_by`; defaults to host:pid:random. */
  workerId?: string;
  /**
   * The worker id is stable across restarts (a supervisor's worker index) and unique among live workers: jobs
   * still marked running under it belong to a dead predecessor and are retried at start.
   */
  reclaimOnStart?: boolean;
}

type JobRow = Selectable<JobsTable>;

interface Registration {
  name: JobName;
  handler: JobHandler;
  concurrency: number;
  active: Set<Promise<void>>;
  loop?: Promise<void>;
  /** Set when woken while not sleeping, so the wake-up is not lost. */
  woken: boolean;
  wake?: () => void;
}

export class TableJobQueue implements JobQueue {
  readonly workerId: string;
  readonly #reclaimOnStart: boolean;
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #defaultMaxAttempts: number;
  readonly #stopGraceMs: number;
  readonly #log: JobLogger;
  readonly #registrations = new Map<JobName, Registration>();
  #started = false;
  #stopping = false;
  /** Rejected when stop()'s grace period is over: handlers still running are abandoned. Renewed by start(). */
  #abandon = abandonSignal();
  #stopped: Promise<void> | undefined;

  constructor(options: TableJobQueueOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? REAL_CLOCK;
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#reclaimOnStart = options.reclaimOnStart ?? false;
    this.#pollIntervalMs = options.pollIntervalMs ?? JOB_DEFAULTS.pollIntervalMs;
    this.#leaseMs = options.leaseMs ?? JOB_DEFAULTS.leaseMs;
    this.#retryBaseMs = options.retryBaseMs ?? JOB_DEFAULTS.retryBaseMs;
    this.#retryMaxMs = options.retryMaxMs ?? JOB_DEFAULTS.retryMaxMs;
    this.#defaultMaxAttempts = assertMaxAttempts(options.defaultMaxAttempts ?? JOB_DEFAULTS.defaultMaxAttempts);
    this.#stopGraceMs = options.stopGraceMs ?? JOB_DEFAULTS.stopGraceMs;
    this.#log = options.logger ?? NOOP_LOGGER;
    if (this.#leaseMs < 1 || this.#pollIntervalMs < 1) throw new RangeError('leaseMs and pollIntervalMs must be positive');
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options: EnqueueOptions = {}): Promise<string | null> {
    const now = this.#clock.now();
    const id = randomUUID();
    // ON CONFLICT DO NOTHING (no target) covers the partial unique index jobs_singleton_idx: a duplicate
    // singleton is dropped atomically instead of raising, even with concurrent enqueuers.
    const inserted = await this.#db
      .insertInto('jobs')
      .values({
        id,
        name,
        payload: JSON.stringify(payload),
        status: 'queued',
        singleton_key: options.singletonKey ?? null,
        attempts: 0,
        max_attempts: assertMaxAttempts(options.maxAttempts ?? this.#defaultMaxAttempts),
        run_at: (options.runAt ?? now).toISOString(),
        locked_until: null,
        locked_by: null,
        last_error: null,
        created_at: now.toISOString(),
        finished_at: null,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return null;
    // Same-process worker (tests, single-process mode): no need to wait for the next poll.
    const reg = this.#registrations.get(name);
    if (reg && (!options.runAt || options.runAt <= now)) this.#wake(reg);
    return inserted.id;
  }

  work<N extends JobName>(name: N, handler: JobHandler<N>, options: { concurrency?: number } = {}): void {
    if (this.#registrations.has(name)) throw new Error(`a handler is already registered for ${name}`);
    const concurrency = options.concurrency ?? JOB_DEFAULTS.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be an integer >= 1');
    // The registry is keyed by name, so the handler always receives its own payload type.
    const reg: Registration = { name, handler: handler as unknown as JobHandler, concurrency, active: new Set(), woken: false };
    this.#registrations.set(name, reg);
    if (this.#started && !this.#stopping) reg.loop = this.#runLoop(reg);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    this.#abandon = abandonSignal();
    this.#stopped = undefined;
    if (this.#reclaimOnStart) await this.#reclaimOwn();
    for (const reg of this.#registrations.values()) reg.loop = this.#runLoop(reg);
  }

  /**
   * Jobs still marked running under THIS worker id belong to a previous incarnation that died (a worker id is
   * stable across restarts when the supervisor gives one, e.g. `npm start`'s worker index): retry them now instead of
   * waiting for their lease to expire.
   */
  async #reclaimOwn(): Promise<void> {
    const orphans = await this.#db.selectFrom('jobs').selectAll().where('status', '=', 'running').where('locked_by', '=', this.workerId).limit(1000).execute();
    for (const row of orphans) {
      const settled = await this.#settleFailure(row, `worker ${this.workerId} restarted`, 'reaper');
      if (settled) this.#log.warn({ job: row.name, id: row.id, attempt: row.attempts }, 'job of a previous incarnation of this worker reclaimed');
    }
  }

  stop(): Promise<void> {
    if (!this.#started) return Promise.resolve();
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    const regs = [...this.#registrations.values()];
    for (const reg of regs) this.#wake(reg);
    await Promise.all(regs.map((reg) => reg.loop));
    const active = regs.flatMap((reg) => [...reg.active]);
    if (active.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.#stopGraceMs);
      });
      const outcome = await Promise.race([Promise.allSettled(active).then(() => 'drained' as const), graceOver]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        // Count them as failed attempts now (retried after the back-off) rather than leaving them claimed until
        // their lease expires. The handlers themselves cannot be cancelled: a later result is ignored (fenced).
        this.#log.warn(
          { worker: this.workerId, running: regs.reduce((n, r) => n + r.active.size, 0) },
          'job queue stopping with handlers still running: abandoning them (their jobs will be retried)',
        );
        this.#abandon.reject(new Error('worker stopped before the handler finished'));
        await Promise.allSettled(regs.flatMap((reg) => [...reg.active]));
      }
    }
    for (const reg of regs) reg.loop = undefined;
    this.#started = false;
  }

  async counts(name: JobName): Promise<JobCounts> {
    const rows = await this.#db
      .selectFrom('jobs')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .where('name', '=', name)
      .groupBy('status')
      .execute();
    const counts: JobCounts = { queued: 0, running: 0, done: 0, dead: 0 };
    for (const row of rows) {
      if (row.status in counts) counts[row.status as keyof JobCounts] = Number(row.n);
    }
    return counts;
  }

  // ---- worker side ------------------------------------------------------------------------------

  async #runLoop(reg: Registration): Promise<void> {
    let nextReapAt = 0;
    while (!this.#stopping) {
      try {
        if (Date.now() >= nextReapAt) {
          nextReapAt = Date.now() + this.#pollIntervalMs;
          await this.#reapExpired(reg.name);
        }
        while (!this.#stopping && reg.active.size < reg.concurrency) {
          const job = await this.#claim(reg.name);
          if (!job) break;
          this.#launch(reg, job);
        }
      } catch (err) {
        // SQLITE_BUSY beyond busy_timeout, a closed database…: keep polling, the next round may succeed.
        this.#log.error({ job: reg.name, worker: this.workerId, err: jobErrorMessage(err) }, 'job poll failed');
      }
      await this.#sleep(reg, this.#pollIntervalMs);
    }
  }

  async #claim(name: JobName): Promise<JobRow | undefined> {
    const now = this.#clock.now();
    const nowIso = now.toISOString();
    const next = this.#db
      .selectFrom('jobs')
      .select('id')
      .where('name', '=', name)
      .where('status', '=', 'queued')
      .where('run_at', '<=', nowIso)
      .orderBy('run_at')
      .orderBy('created_at')
      .limit(1);
    return (
      this.#db
        .updateTable('jobs')
        .set((eb) => ({
          status: 'running',
          attempts: eb('attempts', '+', 1),
          locked_until: new Date(now.getTime() + this.#leaseMs).toISOString(),
          locked_by: this.workerId,
        }))
        .where('id', '=', next)
        // Re-checked on the row itself: keeps the claim exclusive even where the sub-select is not
        // serialized with the update (PostgreSQL under READ COMMITTED).
        .where('status', '=', 'queued')
        .returningAll()
        .executeTakeFirst()
    );
  }

  /** Jobs whose worker died (or overran its lease): count the attempt as failed. */
  async #reapExpired(name: JobName): Promise<void> {
    const expired = await this.#db
      .selectFrom('jobs')
      .selectAll()
      .where('name', '=', name)
      .where('status', '=', 'running')
      .where('locked_until', '<', this.#clock.now().toISOString())
      .limit(100)
      .execute();
    for (const row of expired) {
      const settled = await this.#settleFailure(row, `lease expired after ${this.#leaseMs} ms (worker ${row.locked_by ?? '?'} lost)`, 'reaper');
      if (settled) this.#log.warn({ job: row.name, id: row.id, attempt: row.attempts, lockedBy: row.locked_by }, 'job lease expired');
    }
  }

  #launch(reg: Registration, row: JobRow): void {
    const run = this.#execute(reg, row)
      .catch((err: unknown) => {
        this.#log.error({ job: row.name, id: row.id, err: jobErrorMessage(err) }, 'job bookkeeping failed');
      })
      .finally(() => {
        reg.active.delete(run);
        this.#wake(reg);
      });
    reg.active.add(run);
  }

  async #execute(reg: Registration, row: JobRow): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const job: JobContext = {
        id: row.id,
        name: reg.name,
        payload: JSON.parse(row.payload) as JobPayloads[JobName],
        attempt: row.attempts,
      };
      const handled = Promise.resolve().then(() => reg.handler(job));
      handled.catch(() => undefined); // a handler that loses the race below must not become an unhandled rejection
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`handler exceeded its lease of ${this.#leaseMs} ms`)), this.#leaseMs);
      });
      await Promise.race([handled, deadline, this.#abandon.promise]);
    } catch (err) {
      clearTimeout(timer);
      const message = jobErrorMessage(err);
      const outcome = await this.#settleFailure(row, message, 'owner');
      const level = outcome === 'dead' ? 'error' : 'warn';
      this.#log[level](
        { job: row.name, id: row.id, attempt: row.attempts, maxAttempts: row.max_attempts, err: message, outcome },
        outcome === 'dead' ? 'job failed permanently' : 'job failed',
      );
      return;
    }
    clearTimeout(timer);
    const done = await retryWhileBusy(
      () =>
        this.#db
          .updateTable('jobs')
          .set({ status: 'done', finished_at: this.#clock.now().toISOString(), locked_until: null })
          .where('id', '=', row.id)
          .where('status', '=', 'running')
          .where('attempts', '=', row.attempts)
          .where('locked_by', '=', this.workerId)
          .executeTakeFirst(),
      this.#bookkeepingBudgetMs(row),
    );
    if (Number(done.numUpdatedRows) === 0) {
      this.#log.warn({ job: row.name, id: row.id, attempt: row.attempts }, 'job finished after its lease was taken over');
    }
  }

  /** Bookkeeping may keep trying while the claim is still ours (until the lease ends), at least a few seconds. */
  #bookkeepingBudgetMs(row: JobRow): number {
    const leaseLeft = row.locked_until ? Date.parse(row.locked_until) - this.#clock.now().getTime() : 0;
    return Math.max(5_000, leaseLeft);
  }

  /**
   * Failure of one attempt: back to 'queued' after the back-off, or 'dead' once attempts are used up.
   * Fenced so that only the current holder of the claim (or the reaper of that exact lease) wins.
   */
  async #settleFailure(row: JobRow, message: string, by: 'owner' | 'reaper'): Promise<'retry' | 'dead' | null> {
    const now = this.#clock.now();
    const dead = row.attempts >= row.max_attempts;
    let update = this.#db
      .updateTable('jobs')
      .set(
        dead
          ? { status: 'dead', finished_at: now.toISOString(), locked_until: null, last_error: message }
          : {
              status: 'queued',
              run_at: new Date(now.getTime() + retryDelayMs(row.attempts, this.#retryBaseMs, this.#retryMaxMs)).toISOString(),
              locked_until: null,
              locked_by: null,
              last_error: message,
            },
      )
      .where('id', '=', row.id)
      .where('status', '=', 'running')
      .where('attempts', '=', row.attempts);
    update = by === 'owner' ? update.where('locked_by', '=', this.workerId) : update.where('locked_until', '=', row.locked_until);
    const result = await retryWhileBusy(() => update.executeTakeFirst(), this.#bookkeepingBudgetMs(row));
    if (Number(result.numUpdatedRows) === 0) return null;
    return dead ? 'dead' : 'retry';
  }

  #sleep(reg: Registration, ms: number): Promise<void> {
    if (reg.woken || this.#stopping) {
      reg.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        reg.wake = undefined;
        resolve();
      }
      reg.wake = done;
    });
  }

  #wake(reg: Registration): void {
    if (reg.wake) reg.wake();
    else reg.woken = true;
  }
}
