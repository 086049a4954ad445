/**
 * Job queue factory: the `jobs` table on SQLite, pg-boss (schema `pgboss`) on PostgreSQL.
 * See pgboss-queue.ts for what a web process and a worker process must call.
 */
import type { Clock, JobQueue } from '../domain/ports.js';
import type { DbHandle } from '../store/db.js';
import { PgBossJobQueue } from './pgboss-queue.js';
import { TableJobQueue, type JobLogger } from './sqlite-queue.js';

export interface JobQueueOptions {
  /** SQLite only: time source for run_at and leases (pg-boss uses the database clock). */
  clock?: Clock;
  /** SQLite only: recorded in `jobs.locked_by`. */
  workerId?: string;
  /** Default 500 ms (pg-boss minimum: 500 ms). */
  pollIntervalMs?: number;
  /** Lease and handler deadline, default 5 min (pg-boss: whole seconds, fixed when the job is enqueued). */
  leaseMs?: number;
  /** First retry delay, doubled per attempt; default 5 s (pg-boss: whole seconds, with jitter). */
  retryBaseMs?: number;
  /** Back-off cap, default 15 min (not enforceable on pg-boss 10; see pgboss-queue.ts). */
  retryMaxMs?: number;
  /** Default 8. */
  defaultMaxAttempts?: number;
  /** How long stop() waits for running handlers; default 10 s. */
  stopGraceMs?: number;
  logger?: JobLogger;
  /** PostgreSQL only. */
  pgBoss?: {
    schema?: string;
    maintenanceIntervalSeconds?: number;
    supervise?: boolean;
    poolSize?: number;
  };
}

export function createJobQueue(handle: DbHandle, options: JobQueueOptions = {}): JobQueue {
  const { clock, workerId, pgBoss, ...common } = options;
  if (handle.dialect === 'sqlite') {
    return new TableJobQueue({ db: handle.db, clock, workerId, ...common });
  }
  if (!handle.postgresUrl) throw new Error('createJobQueue: a PostgreSQL handle must carry postgresUrl (pg-boss opens its own pool)');
  return new PgBossJobQueue({ connectionString: handle.postgresUrl, db: handle.db, ...common, ...pgBoss });
}

export { PgBossJobQueue, pgBossQueueName } from './pgboss-queue.js';
export { TableJobQueue, type JobLogger } from './sqlite-queue.js';
