/**
 * Job queue factory: the `jobs` table on SQLite, pg-boss (schema `pgboss`) on PostgreSQL.
 * See pgboss-queue.ts for what a web process and a worker process must call.
 */
import type { Clock, JobQueue } from '../domain/shared/ports.js';
import type { DbHandle } from '../store/db.js';
import { PgBossJobQueue, type PgBossJobQueueOptions } from './pgboss-queue.js';
import { TableJobQueue, type QueueTuning } from './sqlite-queue.js';

export interface JobQueueOptions extends QueueTuning {
  /** SQLite only: time source for run_at and leases (pg-boss uses the database clock). */
  clock?: Clock;
  /** SQLite only: recorded in `jobs.locked_by`. */
  workerId?: string;
  /** SQLite only: `workerId` is a stable supervisor index; retry its predecessor's running jobs at start. */
  reclaimOnStart?: boolean;
  /** PostgreSQL only. */
  pgBoss?: Pick<PgBossJobQueueOptions, 'schema' | 'maintenanceIntervalSeconds' | 'supervise' | 'poolSize'>;
}

export function createJobQueue(handle: DbHandle, options: JobQueueOptions = {}): JobQueue {
  const { clock, workerId, reclaimOnStart, pgBoss, ...common } = options;
  if (handle.dialect === 'sqlite') {
    return new TableJobQueue({ db: handle.db, clock, workerId, reclaimOnStart, ...common });
  }
  if (!handle.postgresUrl) throw new Error('createJobQueue: a PostgreSQL handle must carry postgresUrl (pg-boss opens its own pool)');
  return new PgBossJobQueue({ connectionString: handle.postgresUrl, db: handle.db, ...common, ...pgBoss });
}

export { PgBossJobQueue, pgBossQueueName } from './pgboss-queue.js';
export { TableJobQueue, type JobLogger } from './sqlite-queue.js';
