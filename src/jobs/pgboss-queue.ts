/**
 * Job queue on PostgreSQL with pg-boss 10, in its own schema (default `pgboss`, created and migrated by
 * pg-boss itself on first use).
 *
 * Process roles:
 * - web process: just call `enqueue()` — the first call (or `counts()`/`start()`) boots pg-boss lazily
 *   (opens its pool, installs/migrates the schema, starts the maintenance timer). Call `stop()` on shutdown:
 *   it closes pg-boss's pool and timers (a booted but never-stopped queue keeps the process alive).
 * - worker process: `work()` for each job name, then `start()`; `stop()` on SIGTERM waits up to the grace
 *   period for running handlers, then fails the ones still running (they are retried).
 *
 * Mapping of our semantics onto pg-boss:
 * - attempts: retryLimit = maxAttempts - 1; pg-boss bumps retry_count on every re-fetch, so attempt = retryCount + 1;
 * - back-off: retryBackoff with retryDelay = retryBaseMs in whole seconds (min 1 s). pg-boss adds up to 100 %
 *   jitter (delay n ∈ [base·2^(n-1), base·2^n)) and has no cap: `retryMaxMs` cannot be enforced (a warning
 *   is logged when the configuration could exceed it);
 * - lease: expireInSeconds, stored on the job AT ENQUEUE TIME (the enqueuing process's `leaseMs` applies). It is
 *   also the handler deadline. A killed worker's job is failed by the maintenance run after
 *   expiry (every `maintenanceIntervalSeconds`) and retried, which counts as an attempt;
 * - dead letters: a queue `<name>__dead` receives a copy of every exhausted job; the original stays in state
 *   'failed' (then 'archive'), which is what counts().dead reports;
 * - singletonKey: pg-boss 10 has no "one queued-or-running job per key" policy ('stately' allows one queued AND
 *   one active, and applies to key-less jobs too), so enqueues with a key are serialized by a transaction-level
 *   advisory lock on (queue, key) and checked against live jobs before the insert.
 */
import PgBoss from 'pg-boss';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { EnqueueOptions, JobContext, JobHandler, JobName, JobPayloads, JobQueue } from '../domain/shared/ports.js';
import type { Database } from '../store/tables.js';
import { assertMaxAttempts, JOB_DEFAULTS, jobErrorMessage, type JobCounts, type JobLogger, type QueueTuning } from './sqlite-queue.js';

export interface PgBossJobQueueOptions extends QueueTuning {
  connectionString: string;
  /** The application's Kysely instance: used for singleton enqueues (a transaction) and counts. */
  db: Kysely<Database>;
  /** pg-boss schema (default 'pgboss'). */
  schema?: string;
  /** How often expired jobs are detected (and completed jobs archived). Default 30 s; min 1 s. */
  maintenanceIntervalSeconds?: number;
  /** Run maintenance in this process (default true; several processes coordinate through the database). */
  supervise?: boolean;
  /** Size of pg-boss's own connection pool (default 10). */
  poolSize?: number;
}

const NOOP_LOGGER: JobLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const DEAD_LETTER_SUFFIX = '__dead';
const MAX_LEASE_SECONDS = 24 * 60 * 60 - 1; // pg-boss refuses expirations of 24 h or more

/**
 * 'mail.send@1' → 'mail__send_v1'. pg-boss 10 documents queue names as letters, digits, '_' and '-'. Job names
 * are validated to contain no '_', which keeps the mapping one-to-one (and distinct from dead-letter names).
 */
export function pgBossQueueName(name: string): string {
  const match = /^([a-z0-9-]+(?:\.[a-z0-9-]+)*)@([1-9][0-9]*)$/.exec(name);
  if (!match) throw new Error(`invalid job name ${JSON.stringify(name)}: expected dotted.lowercase@version`);
  return `${match[1]!.replaceAll('.', '__')}_v${match[2]!}`;
}

/** Thrown back to pg-boss so that it stores `{ message }` only (it serializes errors via toJSON when present). */
class JobFailure extends Error {
  toJSON(): { message: string } {
    return { message: this.message };
  }
}

interface Registration {
  name: JobName;
  handler: JobHandler;
  concurrency: number;
}

export class PgBossJobQueue implements JobQueue {
  readonly #boss: PgBoss;
  readonly #db: Kysely<Database>;
  readonly #schema: string;
  readonly #pollingIntervalSeconds: number;
  readonly #expireInSeconds: number;
  readonly #retryDelaySeconds: number;
  readonly #defaultMaxAttempts: number;
  readonly #retryMaxMs: number;
  readonly #stopGraceMs: number;
  readonly #log: JobLogger;
  readonly #registrations = new Map<JobName, Registration>();
  readonly #queues = new Map<string, Promise<void>>();
  /** Queue creations run one after another: concurrent `createQueue` calls for different queues can deadlock in PostgreSQL. */
  #creating: Promise<unknown> = Promise.resolve();
  /** Rejected when stop()'s grace period is over: handlers still running are abandoned (see stop()). */
  readonly #abandon: Promise<never>;
  #abandonNow: (err: Error) => void = () => undefined;
  #booting: Promise<void> | undefined;
  #workersStarted = false;
  #stopped = false;
  #stopping: Promise<void> | undefined;
  #backoffWarned = false;

  constructor(options: PgBossJobQueueOptions) {
    this.#db = options.db;
    this.#schema = options.schema ?? 'pgboss';
    this.#log = options.logger ?? NOOP_LOGGER;
    this.#pollingIntervalSeconds = Math.max(0.5, (options.pollIntervalMs ?? JOB_DEFAULTS.pollIntervalMs) / 1000);
    this.#expireInSeconds = Math.min(MAX_LEASE_SECONDS, Math.max(1, Math.ceil((options.leaseMs ?? JOB_DEFAULTS.leaseMs) / 1000)));
    this.#retryDelaySeconds = Math.max(1, Math.round((options.retryBaseMs ?? JOB_DEFAULTS.retryBaseMs) / 1000));
    this.#retryMaxMs = options.retryMaxMs ?? JOB_DEFAULTS.retryMaxMs;
    this.#defaultMaxAttempts = assertMaxAttempts(options.defaultMaxAttempts ?? JOB_DEFAULTS.defaultMaxAttempts);
    this.#stopGraceMs = options.stopGraceMs ?? JOB_DEFAULTS.stopGraceMs;
    this.#abandon = new Promise<never>((_, reject) => {
      this.#abandonNow = reject;
    });
    this.#abandon.catch(() => undefined); // only ever observed through Promise.race in #run
    this.#boss = new PgBoss({
      connectionString: options.connectionString,
      schema: this.#schema,
      max: options.poolSize ?? 10,
      application_name: 'sceau-jobs',
      supervise: options.supervise ?? true,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
      // No cron: its timekeeper adds a polling worker and needs archive intervals >= 60 s.
      schedule: false,
      migrate: true,
    });
    // Without a listener an 'error' event would crash the process (EventEmitter semantics).
    this.#boss.on('error', (err: Error) => {
      this.#log.error({ err: jobErrorMessage(err) }, 'pg-boss error');
    });
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options: EnqueueOptions = {}): Promise<string | null> {
    const queue = pgBossQueueName(name);
    await this.#ensureQueue(queue);
    const maxAttempts = assertMaxAttempts(options.maxAttempts ?? this.#defaultMaxAttempts);
    this.#warnIfBackoffExceedsMax(maxAttempts);
    // Everything is set per job (not only on the queue): a queue row is created once, by whichever process
    // came first, and is never updated afterwards.
    const sendOptions: PgBoss.SendOptions = {
      retryLimit: maxAttempts - 1,
      retryDelay: this.#retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: this.#expireInSeconds,
      deadLetter: queue + DEAD_LETTER_SUFFIX,
      ...(options.runAt ? { startAfter: options.runAt } : {}),
    };
    const key = options.singletonKey;
    if (key === undefined) return this.#boss.send(queue, payload, sendOptions);

    const jobTable = sql.table(`${this.#schema}.job`);
    return this.#db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`sceau.jobs:${queue}:${key}`}, 0))`.execute(trx);
      // After the lock, a fresh READ COMMITTED snapshot sees every committed enqueue of this key.
      const live = await sql<{ id: string }>`
        SELECT id FROM ${jobTable}
        WHERE name = ${queue} AND singleton_key = ${key} AND state IN ('created', 'retry', 'active')
        LIMIT 1`.execute(trx);
      if (live.rows.length > 0) return null;
      return this.#boss.send(queue, payload, {
        ...sendOptions,
        singletonKey: key,
        // pg-boss runs its insert through this adapter, i.e. inside our transaction (lock held until commit).
        db: {
          executeSql: async (text: string, values: unknown[]) => {
            const { rows } = await trx.executeQuery(CompiledQuery.raw(text, values));
            return { rows };
          },
        },
      });
    });
  }

  work<N extends JobName>(name: N, handler: JobHandler<N>, options: { concurrency?: number } = {}): void {
    if (this.#registrations.has(name)) throw new Error(`a handler is already registered for ${name}`);
    const concurrency = options.concurrency ?? JOB_DEFAULTS.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be an integer >= 1');
    // The registry is keyed by name, so the handler always receives its own payload type.
    const reg: Registration = { name, handler: handler as unknown as JobHandler, concurrency };
    this.#registrations.set(name, reg);
    if (this.#workersStarted) {
      this.#startWorkers(reg).catch((err: unknown) => {
        this.#log.error({ job: name, err: jobErrorMessage(err) }, 'could not start job worker');
      });
    }
  }

  async start(): Promise<void> {
    await this.#ready();
    if (this.#workersStarted) return;
    this.#workersStarted = true;
    for (const reg of this.#registrations.values()) await this.#startWorkers(reg);
  }

  stop(): Promise<void> {
    this.#stopped = true;
    if (!this.#booting) return Promise.resolve(); // never booted: nothing to close
    this.#stopping ??= this.#stop(this.#booting);
    return this.#stopping;
  }

  async #stop(booting: Promise<void>): Promise<void> {
    try {
      await booting;
    } catch {
      return; // never connected: nothing to close
    }
    // pg-boss stops fetching and waits while handlers run. At the end of our grace period the handlers still
    // running are abandoned: their jobs are failed (and retried later) by pg-boss while its pool is still open.
    // Letting pg-boss's own timeout do it instead would close the pool first, and a handler finishing later
    // would then make pg-boss's un-awaited complete() an unhandled rejection.
    const timer = setTimeout(() => {
      this.#log.warn({}, 'job queue stopping with handlers still running: abandoning them (their jobs will be retried)');
      this.#abandonNow(new Error('worker stopped before the handler finished'));
    }, this.#stopGraceMs);
    try {
      await this.#boss.stop({ graceful: true, wait: true, timeout: this.#stopGraceMs + 5_000, close: true });
    } finally {
      clearTimeout(timer);
    }
  }

  async counts(name: JobName): Promise<JobCounts> {
    const counts: JobCounts = { queued: 0, running: 0, done: 0, dead: 0 };
    // Plain SQL on the application's pool, so counts still work after stop().
    if (!this.#stopped) await this.#ready();
    const queue = pgBossQueueName(name);
    // Finished jobs move to the archive table after a while (12 h by default): count both.
    let rows: { state: string; n: number }[];
    try {
      ({ rows } = await sql<{ state: string; n: number }>`
        SELECT state::text AS state, count(*)::int AS n FROM ${sql.table(`${this.#schema}.job`)} WHERE name = ${queue} GROUP BY state
        UNION ALL
        SELECT state::text AS state, count(*)::int AS n FROM ${sql.table(`${this.#schema}.archive`)} WHERE name = ${queue} GROUP BY state
      `.execute(this.#db));
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return counts; // undefined_table: pg-boss never installed
      throw err;
    }
    for (const { state, n } of rows) {
      if (state === 'created' || state === 'retry') counts.queued += n;
      else if (state === 'active') counts.running += n;
      else if (state === 'completed') counts.done += n;
      else if (state === 'failed') counts.dead += n; // 'failed' is only reached once retries are exhausted
      // 'cancelled' is never produced by this application.
    }
    return counts;
  }

  // ---- internals ------------------------------------------------------------------------------

  #ready(): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error('job queue is stopped'));
    this.#booting ??= this.#boss.start().then(
      () => undefined,
      (err: unknown) => {
        this.#booting = undefined; // let a later call retry (e.g. database not up yet)
        throw err;
      },
    );
    return this.#booting;
  }

  /** Creates the queue and its dead-letter queue once per process (pg-boss's create is idempotent), one queue at a time. */
  #ensureQueue(queue: string): Promise<void> {
    let pending = this.#queues.get(queue);
    if (!pending) {
      const create = async () => {
        await this.#ready();
        const deadLetter = queue + DEAD_LETTER_SUFFIX;
        await this.#boss.createQueue(deadLetter, { name: deadLetter, policy: 'standard', retryLimit: 0 });
        await this.#boss.createQueue(queue, {
          name: queue,
          policy: 'standard',
          retryLimit: this.#defaultMaxAttempts - 1,
          retryDelay: this.#retryDelaySeconds,
          retryBackoff: true,
          expireInSeconds: this.#expireInSeconds,
          deadLetter,
        });
      };
      pending = this.#creating.then(create, create);
      this.#creating = pending.catch(() => undefined);
      pending.catch(() => this.#queues.delete(queue));
      this.#queues.set(queue, pending);
    }
    return pending;
  }

  async #startWorkers(reg: Registration): Promise<void> {
    const queue = pgBossQueueName(reg.name);
    await this.#ensureQueue(queue);
    // pg-boss 10 has no per-worker concurrency: N independent fetch loops of one job each give N-way concurrency
    // with per-job completion (a batch would be completed or failed as a whole).
    for (let i = 0; i < reg.concurrency; i++) {
      const worker: { id?: string } = {}; // known once work() resolves, before any job can arrive
      worker.id = await this.#boss.work<JobPayloads[JobName]>(
        queue,
        { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.#pollingIntervalSeconds },
        async ([job]) => {
          if (!job) return;
          try {
            await this.#run(reg, job);
          } finally {
            // Fetch again right away instead of sleeping a poll interval while there is work.
            if (worker.id) this.#boss.notifyWorker(worker.id);
          }
        },
      );
    }
  }

  async #run(reg: Registration, job: PgBoss.JobWithMetadata<JobPayloads[JobName]>): Promise<void> {
    const context: JobContext = { id: job.id, name: reg.name, payload: job.data, attempt: job.retryCount + 1 };
    try {
      await Promise.race([reg.handler(context), this.#abandon]);
    } catch (err) {
      const message = jobErrorMessage(err);
      const dead = job.retryCount >= job.retryLimit;
      this.#log[dead ? 'error' : 'warn'](
        { job: reg.name, id: job.id, attempt: context.attempt, maxAttempts: job.retryLimit + 1, err: message },
        dead ? 'job failed permanently' : 'job failed',
      );
      throw new JobFailure(message);
    }
  }

  #warnIfBackoffExceedsMax(maxAttempts: number): void {
    if (this.#backoffWarned || maxAttempts < 2) return;
    // Longest pg-boss delay (before the last attempt): up to 2 · base · 2^(maxAttempts-2).
    const worstMs = 2 * this.#retryDelaySeconds * 1000 * 2 ** Math.min(16, maxAttempts - 2);
    if (worstMs > this.#retryMaxMs) {
      this.#backoffWarned = true;
      this.#log.warn({ worstMs, retryMaxMs: this.#retryMaxMs, maxAttempts }, 'pg-boss back-off is uncapped: retry delays may exceed retryMaxMs');
    }
  }
}
