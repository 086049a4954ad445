/**
 * JobQueue contract: the same suite runs against the table queue (SQLite) and pg-boss (PostgreSQL).
 * Real time, short leases and polls; test-only tables are created here, never in migrations.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobContext, JobQueue } from '../../src/domain/shared/ports.js';
import { createJobQueue, type JobQueueOptions } from '../../src/jobs/index.js';
import { openDatabase, type DbHandle } from '../../src/store/db.js';
import { createTestDb, testDialects, type TestDb } from '../support/db.js';
import type { WorkerChildArgs } from './fixtures/worker-child.js';
import { deferred, waitFor } from './support.js';

const JOB = 'test.effect@1';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LEASE_MS = 2_000;
const RETRY_BASE_MS = 1_000; // pg-boss works in whole seconds

/** Log lines that mean the queue itself misbehaved (handler failures are expected in some tests). */
const UNEXPECTED = new Set(['pg-boss error', 'job poll failed', 'job bookkeeping failed', 'could not start job worker']);
const problems: string[] = [];
const record =
  (level: string) =>
  (obj: Record<string, unknown>, msg?: string): void => {
    if (msg && UNEXPECTED.has(msg)) problems.push(`${level}: ${msg} ${JSON.stringify(obj)}`);
  };

const FAST: JobQueueOptions = {
  logger: { info: record('info'), warn: record('warn'), error: record('error') },
  pollIntervalMs: 100, // pg-boss raises it to its 500 ms minimum
  leaseMs: LEASE_MS,
  retryBaseMs: RETRY_BASE_MS,
  stopGraceMs: 2_000,
  pgBoss: { maintenanceIntervalSeconds: 1, poolSize: 4 },
};

interface EffectsTable {
  key: string;
  job_id: string;
  attempt: number;
}
interface RunsTable {
  key: string;
  worker: string;
}
interface TestTables {
  test_effects: EffectsTable;
  test_runs: RunsTable;
}

/** The test tables are not in the application's Database type: view the same connection through ours. */
function testDb(handle: DbHandle): Kysely<TestTables> {
  return handle.db as unknown as Kysely<TestTables>;
}

async function createTestTables(handle: DbHandle): Promise<void> {
  const db = testDb(handle);
  await db.schema
    .createTable('test_effects')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .execute();
  // No ON CONFLICT when writing here: a second run of the same job would fail loudly.
  await db.schema
    .createTable('test_runs')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('worker', 'text', (c) => c.notNull())
    .execute();
}

/** The idempotent effect of a test.effect@1 job: at most one row per payload key. */
async function recordEffect(handle: DbHandle, job: JobContext<typeof JOB>): Promise<void> {
  await testDb(handle)
    .insertInto('test_effects')
    .values({ key: job.payload.key, job_id: job.id, attempt: job.attempt })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}

async function effects(handle: DbHandle): Promise<EffectsTable[]> {
  return testDb(handle).selectFrom('test_effects').selectAll().orderBy('key').execute();
}

for (const dialect of testDialects()) {
  describe(`JobQueue contract (${dialect})`, () => {
    let db: TestDb;
    const queues: JobQueue[] = [];
    const extraHandles: DbHandle[] = [];
    const children: ChildProcess[] = [];

    function newQueue(handle: DbHandle = db, options: JobQueueOptions = {}): JobQueue {
      const queue = createJobQueue(handle, { ...FAST, ...options });
      queues.push(queue);
      return queue;
    }

    beforeEach(async () => {
      db = await createTestDb(dialect);
      await createTestTables(db);
    });

    afterEach(async () => {
      for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(queues.splice(0).map((q) => q.stop()));
      await Promise.all(extraHandles.splice(0).map((h) => h.close()));
      await db.cleanup();
      expect(problems.splice(0)).toEqual([]);
    });

    it('runs an enqueued job once, with its payload and attempt 1', async () => {
      const queue = newQueue();
      const seen: JobContext<typeof JOB>[] = [];
      queue.work(JOB, async (job) => {
        seen.push(job);
        await recordEffect(db, job);
      });
      await queue.start();

      const id = await queue.enqueue(JOB, { key: 'once' });
      expect(id).toEqual(expect.any(String));
      await waitFor('job done', async () => (await queue.counts(JOB)).done === 1);

      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ id, name: JOB, payload: { key: 'once' }, attempt: 1 });
      expect(await effects(db)).toEqual([{ key: 'once', job_id: id, attempt: 1 }]);
      expect(await queue.counts(JOB)).toEqual({ queued: 0, running: 0, done: 1, dead: 0 });
    });

    it('enqueues to several new queues at once (their creation never deadlocks)', async () => {
      for (let round = 0; round < 3; round++) {
        const queue = newQueue();
        const ids = await Promise.all([
          queue.enqueue('mail.send@1', { mailId: `m${round}` }),
          queue.enqueue('issuance.run@1', { jobId: `j${round}`, part: 0, parts: 1 }),
          queue.enqueue('webhook.deliver@1', { deliveryId: `d${round}` }),
          queue.enqueue('results.issue@1', { decisionId: `r${round}` }),
          queue.enqueue(JOB, { key: `k${round}` }),
        ]);
        expect(ids.every((id) => typeof id === 'string')).toBe(true);
        await queue.stop();
      }
    });

    it('drops a duplicate singletonKey while the first job is queued or running, accepts it again once done', async () => {
      const queue = newQueue();
      const release = deferred();
      const started = deferred();
      queue.work(
        JOB,
        async (job) => {
          if (job.payload.key === 'first') {
            started.resolve();
            await release.promise;
          }
          await recordEffect(db, job);
        },
        { concurrency: 2 },
      );

      const first = await queue.enqueue(JOB, { key: 'first' }, { singletonKey: 'k' });
      expect(first).toEqual(expect.any(String));
      expect(await queue.enqueue(JOB, { key: 'dup-queued' }, { singletonKey: 'k' })).toBeNull();
      expect(await queue.counts(JOB)).toEqual({ queued: 1, running: 0, done: 0, dead: 0 });

      await queue.start();
      await started.promise;
      expect((await queue.counts(JOB)).running).toBe(1);
      expect(await queue.enqueue(JOB, { key: 'dup-running' }, { singletonKey: 'k' })).toBeNull();
      // Another key, and no key at all, are unaffected.
      expect(await queue.enqueue(JOB, { key: 'other' }, { singletonKey: 'other' })).toEqual(expect.any(String));
      expect(await queue.enqueue(JOB, { key: 'plain' })).toEqual(expect.any(String));

      release.resolve();
      await waitFor('three jobs done', async () => (await queue.counts(JOB)).done === 3);
      const again = await queue.enqueue(JOB, { key: 'again' }, { singletonKey: 'k' });
      expect(again).toEqual(expect.any(String));
      expect(again).not.toBe(first);
      await waitFor('four jobs done', async () => (await queue.counts(JOB)).done === 4);

      expect((await effects(db)).map((e) => e.key)).toEqual(['again', 'first', 'other', 'plain']);
    });

    it('retries a failing handler with exponential back-off, then dead-letters it after maxAttempts', async () => {
      const queue = newQueue();
      const attempts: { attempt: number; at: number }[] = [];
      queue.work(JOB, async (job) => {
        attempts.push({ attempt: job.attempt, at: Date.now() });
        throw new Error(`boom ${job.attempt}`);
      });
      await queue.start();

      await queue.enqueue(JOB, { key: 'doomed', failTimes: 99 }, { maxAttempts: 3 });
      await waitFor('job dead', async () => (await queue.counts(JOB)).dead === 1, 30_000);
      await sleep(RETRY_BASE_MS * 1.2); // a 4th attempt would have started by now

      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      const [a1, a2, a3] = attempts.map((a) => a.at) as [number, number, number];
      // Back-off before attempt n+1 is at least base·2^(n-1) (pg-boss adds jitter on top).
      expect(a2 - a1).toBeGreaterThanOrEqual(RETRY_BASE_MS * 0.9);
      expect(a3 - a2).toBeGreaterThanOrEqual(RETRY_BASE_MS * 2 * 0.9);
      expect(await queue.counts(JOB)).toEqual({ queued: 0, running: 0, done: 0, dead: 1 });
      expect(await effects(db)).toEqual([]);

      if (dialect === 'sqlite') {
        const row = await db.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
        expect(row).toMatchObject({ status: 'dead', attempts: 3, last_error: 'boom 3' });
        expect(row.finished_at).not.toBeNull();
      }
    });

    it('completes a job that fails once on its second attempt', async () => {
      const queue = newQueue();
      queue.work(JOB, async (job) => {
        if (job.attempt <= (job.payload.failTimes ?? 0)) throw new Error('transient');
        await recordEffect(db, job);
      });
      await queue.start();

      const id = await queue.enqueue(JOB, { key: 'flaky', failTimes: 1 });
      await waitFor('job done', async () => (await queue.counts(JOB)).done === 1);

      expect(await effects(db)).toEqual([{ key: 'flaky', job_id: id, attempt: 2 }]);
      expect(await queue.counts(JOB)).toEqual({ queued: 0, running: 0, done: 1, dead: 0 });
    });

    it('does not start a job before its runAt', async () => {
      const queue = newQueue();
      let startedAt = 0;
      queue.work(JOB, async (job) => {
        startedAt = Date.now();
        await recordEffect(db, job);
      });
      await queue.start();

      const runAt = new Date(Date.now() + 1_500);
      await queue.enqueue(JOB, { key: 'later' }, { runAt });
      await sleep(700);
      expect(await queue.counts(JOB)).toEqual({ queued: 1, running: 0, done: 0, dead: 0 });
      await waitFor('job done', async () => (await queue.counts(JOB)).done === 1);
      expect(startedAt).toBeGreaterThanOrEqual(runAt.getTime() - 20); // database and test share one clock
    });

    it('enqueues from a queue that never starts (web process); another instance works the job', async () => {
      const web = newQueue();
      const worker = newQueue();
      worker.work(JOB, (job) => recordEffect(db, job));
      await worker.start();

      const id = await web.enqueue(JOB, { key: 'from-web' });
      await waitFor('job done', async () => (await web.counts(JOB)).done === 1);
      await web.stop();
      expect(await effects(db)).toEqual([{ key: 'from-web', job_id: id, attempt: 1 }]);
    });

    it('stop() waits for a running handler to finish', async () => {
      const queue = newQueue();
      const started = deferred();
      queue.work(JOB, async (job) => {
        started.resolve();
        await sleep(500);
        await recordEffect(db, job);
      });
      await queue.start();
      await queue.enqueue(JOB, { key: 'in-flight' });
      await started.promise;

      await queue.stop();
      expect((await effects(db)).map((e) => e.key)).toEqual(['in-flight']);
      expect(await queue.counts(JOB)).toEqual({ queued: 0, running: 0, done: 1, dead: 0 });
    });

    it('stop() gives up on a handler after the grace period; the job is retried, not lost', async () => {
      const stuck = newQueue(db, { stopGraceMs: 300 });
      const started = deferred();
      stuck.work(JOB, async () => {
        started.resolve();
        await new Promise(() => undefined); // hangs forever
      });
      await stuck.start();
      const id = await stuck.enqueue(JOB, { key: 'hung' });
      await started.promise;

      const stopAt = Date.now();
      await stuck.stop();
      expect(Date.now() - stopAt).toBeLessThan(3_000);
      expect(await stuck.counts(JOB)).toEqual({ queued: 1, running: 0, done: 0, dead: 0 });

      const next = newQueue();
      next.work(JOB, (job) => recordEffect(db, job));
      await next.start();
      await waitFor('job done', async () => (await next.counts(JOB)).done === 1);
      expect(await effects(db)).toEqual([{ key: 'hung', job_id: id, attempt: 2 }]);
    });

    it('never hands one job to two workers (two queue instances, separate connections, 50 jobs)', async () => {
      const second = openDatabase(db.config, { poolSize: 5 });
      extraHandles.push(second);
      const runs = new Map<string, number>();
      const perWorker = { a: 0, b: 0 };
      const makeHandler = (worker: 'a' | 'b', handle: DbHandle) => async (job: JobContext<typeof JOB>) => {
        runs.set(job.payload.key, (runs.get(job.payload.key) ?? 0) + 1);
        perWorker[worker] += 1;
        await testDb(handle).insertInto('test_runs').values({ key: job.payload.key, worker }).execute();
        await sleep(10);
        await recordEffect(handle, job);
      };
      const queueA = newQueue(db, { workerId: 'worker-a' });
      const queueB = newQueue(second, { workerId: 'worker-b' });
      queueA.work(JOB, makeHandler('a', db), { concurrency: 3 });
      queueB.work(JOB, makeHandler('b', second), { concurrency: 3 });

      const keys = Array.from({ length: 50 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
      for (const key of keys) await queueA.enqueue(JOB, { key });
      await Promise.all([queueA.start(), queueB.start()]);
      await waitFor('50 jobs done', async () => (await queueA.counts(JOB)).done === 50, 40_000);

      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      expect([...runs.keys()].sort()).toEqual(keys);
      expect(
        await testDb(db)
          .selectFrom('test_runs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ).toEqual({ n: 50 });
      expect((await effects(db)).map((e) => e.key)).toEqual(keys);
      expect(await queueB.counts(JOB)).toEqual({ queued: 0, running: 0, done: 50, dead: 0 });
      expect(perWorker.a + perWorker.b).toBe(50);
    });

    it('retries the job of a worker process killed with SIGKILL mid-job, and completes it exactly once', async () => {
      const queue = newQueue();
      const id = await queue.enqueue(JOB, { key: 'survivor', sleepMs: 60_000 });

      const args: WorkerChildArgs = { db: db.config, leaseMs: LEASE_MS, pollIntervalMs: 100 };
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/jobs/fixtures/worker-child.ts', JSON.stringify(args)], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const exited = once(child, 'exit');

      const started = await new Promise<{ id: string; attempt: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child did not start the job in time; stderr:\n${stderr}`)), 30_000);
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`child exited early (${code ?? signal}); stderr:\n${stderr}`));
        });
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          const event = JSON.parse(line) as { event: string; id: string; attempt: number };
          if (event.event === 'started') {
            clearTimeout(timer);
            resolve(event);
          }
        });
      });
      expect(started).toEqual({ event: 'started', id, attempt: 1, key: 'survivor' });

      process.kill(child.pid!, 'SIGKILL');
      const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      expect(signal).toBe('SIGKILL');
      expect((await queue.counts(JOB)).running).toBe(1); // the dead worker's claim is still there

      const completions: JobContext<typeof JOB>[] = [];
      queue.work(JOB, async (job) => {
        completions.push(job);
        await recordEffect(db, job);
      });
      await queue.start();
      await waitFor('job done after lease expiry', async () => (await queue.counts(JOB)).done === 1, 30_000);

      expect(completions.map((j) => [j.id, j.attempt])).toEqual([[id, 2]]);
      expect(await effects(db)).toEqual([{ key: 'survivor', job_id: id, attempt: 2 }]);
      expect(await queue.counts(JOB)).toEqual({ queued: 0, running: 0, done: 1, dead: 0 });
    });
  });
}
