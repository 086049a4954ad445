/**
 * The table queue under write contention (SQLite): when another process holds the write lock past busy_timeout as a
 * handler finishes, the job's bookkeeping write waits and retries instead of leaving the job "running" until its
 * lease expires (what stalled a bulk job for five minutes under heavy load before).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TableJobQueue, isSqliteBusy, retryWhileBusy } from '../../src/jobs/sqlite-queue.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { deferred, waitFor } from './support.js';

describe('table job queue while another process holds the SQLite write lock', () => {
  let db: TestDb | undefined, queue: TableJobQueue | undefined, other: SQLite.Database | undefined;
  afterEach(async () => {
    if (other?.inTransaction) other.exec('rollback');
    other?.close();
    await queue?.stop();
    await db?.cleanup();
  });

  it('marks a finished job done once the lock is free, long before its lease ends', async () => {
    db = await createTestDb('sqlite');
    db.sqlite!.pragma('busy_timeout = 20'); // SQLITE_BUSY after 20 ms instead of 5 s: the contention shows at once
    const logged: string[] = [];
    const log = (obj: Record<string, unknown>, msg?: string) => void logged.push(`${msg} ${JSON.stringify(obj)}`);
    queue = new TableJobQueue({ db: db.db, pollIntervalMs: 50, leaseMs: 30_000, logger: { info: () => undefined, warn: log, error: log } });
    const gate = deferred();
    let started = false;
    queue.work('mail.send@1', async () => {
      started = true;
      await gate.promise;
    });
    await queue.start();
    await queue.enqueue('mail.send@1', { mailId: 'm-1' });
    await waitFor('handler started', async () => started, 5_000);

    // Another connection (as another worker process would) takes the write lock; the handler returns meanwhile.
    other = new SQLite(db.config.dialect === 'sqlite' ? db.config.file : '');
    other.exec('begin immediate');
    gate.resolve();
    await sleep(400);
    const during = await db.db.selectFrom('jobs').select('status').executeTakeFirstOrThrow();
    expect(during.status).toBe('running'); // could not be written yet: the lock is held
    other.exec('commit');

    const jobs = db.db;
    let status = during.status;
    await waitFor(
      'job done',
      async () => {
        status = (await jobs.selectFrom('jobs').select('status').executeTakeFirstOrThrow()).status;
        return status === 'done';
      },
      5_000,
    );
    expect(status).toBe('done');
    expect(logged.filter((l) => l.startsWith('job bookkeeping failed'))).toEqual([]);
  });

  it('retries only SQLite busy errors, and only within its budget', async () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(isSqliteBusy(busy)).toBe(true);
    expect(isSqliteBusy(Object.assign(new Error('x'), { code: 'SQLITE_BUSY_SNAPSHOT' }))).toBe(true);
    expect(isSqliteBusy(Object.assign(new Error('x'), { code: 'SQLITE_CONSTRAINT' }))).toBe(false);
    let calls = 0;
    await expect(retryWhileBusy(async () => (++calls < 3 ? Promise.reject(busy) : 'ok'), 5_000)).resolves.toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    const other = Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT' });
    await expect(retryWhileBusy(async () => (++calls, Promise.reject(other)), 5_000)).rejects.toBe(other);
    expect(calls).toBe(1);
    calls = 0;
    await expect(retryWhileBusy(async () => (++calls, Promise.reject(busy)), 120)).rejects.toBe(busy);
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThan(5);
  });
});
