/**
 * Mail test harness: a web container (HTTP app, enqueues mail jobs) and, on demand, a separate worker container
 * (its own database handle and job queue, as `npm start` runs it in its own process), both on one fresh test
 * database, with real time and short job timings (`compose(…, { jobs })`), which `createTestApp` does not expose.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { compose, type Container } from '../../src/compose.js';
import type { Config } from '../../src/config.js';
import { systemClock } from '../../src/domain/shared/clock.js';
import { createOrganization } from '../../src/domain/organizations/manage-organizations.js';
import { buildApp } from '../../src/app.js';
import type { JobQueueOptions } from '../../src/jobs/index.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { createLogger } from '../../src/logger.js';
import { createMailTransport, type MailTransport } from '../../src/mail/sender.js';
import { openDatabase } from '../../src/store/db.js';
import { Agent, TEST_PASSWORD, testConfig } from '../support/app.js';
import { createTestDb, type TestDb, type TestDialect } from '../support/db.js';
import { type UserInput, apiKeyFor, createTestUser } from '../support/factories.js';
import type { User } from '../../src/domain/accounts/model.js';
import type { Organization } from '../../src/domain/organizations/model.js';
import type { OutboxMail } from '../../src/domain/shared/mail.js';
import type { SinkMessage } from './smtp-sink.js';

export { TEST_PASSWORD };

/** One delivery attempt as seen by the transport (wrapping the real nodemailer transport). */
export interface SendAttempt {
  key: string;
  to: string;
  at: number;
  /** When send() returned or threw. */
  endedAt?: number;
  ok: boolean;
  error?: string;
}

export interface StartedWorker extends RunningWorker {
  container: Container;
  /** Every call of transport.send, in order (successful or not). */
  attempts: SendAttempt[];
}

export interface MailHarness {
  dialect: TestDialect;
  db: TestDb;
  app: FastifyInstance;
  web: Container;
  config: Config;
  logs: string[];
  agent(): Agent;
  /** Starts a worker container with `startWorker(container, transport)`; the transport is recorded. */
  startWorker(options?: { transport?: MailTransport }): Promise<StartedWorker>;
  createUser(input: UserInput): Promise<User>;
  createOrg(input: { name?: string; slug: string; languages?: string }): Promise<Organization>;
  createApiKey(org: Organization): Promise<string>;
  /** POST /password/forgot for `email` (a browser-like anonymous visitor). */
  requestReset(email: string): Promise<void>;
  outbox(): Promise<OutboxMail[]>;
  close(): Promise<void>;
}

/** Records every send attempt of `inner`. */
export function recordingTransport(inner: MailTransport, attempts: SendAttempt[]): MailTransport {
  return {
    kind: inner.kind,
    async send(m) {
      const attempt: SendAttempt = { key: m.idempotencyKey, to: m.to, at: Date.now(), ok: false };
      attempts.push(attempt);
      try {
        await inner.send(m);
        attempt.ok = true;
      } catch (err) {
        attempt.error = err instanceof Error ? err.message : String(err);
        throw err;
      } finally {
        attempt.endedAt = Date.now();
      }
    },
    close: () => inner.close(),
  };
}

function captureLogger(logs: string[]) {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return createLogger({ level: 'info', destination: sink });
}

export async function createMailHarness(options: { dialect: TestDialect; smtpUrl?: string; jobs?: JobQueueOptions }): Promise<MailHarness> {
  const db = await createTestDb(options.dialect);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-mail-'));
  const config = testConfig({ db: db.config, dataDir, mail: { smtpUrl: options.smtpUrl, from: 'Sceau <no-reply@sceau.test>' } });
  const logs: string[] = [];
  const jobs: JobQueueOptions = { ...options.jobs, pgBoss: { poolSize: 3, ...options.jobs?.pgBoss } };
  const web = await compose(config, { role: 'web', clock: systemClock, logger: captureLogger(logs), handle: db, jobs });
  const app = await buildApp(web.deps);
  await app.ready();
  const workers: { worker: StartedWorker; stopped: boolean }[] = [];

  const harness: MailHarness = {
    dialect: options.dialect,
    db,
    app,
    web,
    config,
    logs,
    agent: () => new Agent(app),
    async startWorker(workerOptions = {}) {
      const handle = openDatabase(db.config, { poolSize: 3 });
      const container = await compose(config, { role: 'worker', clock: systemClock, logger: captureLogger(logs), handle, jobs });
      const attempts: SendAttempt[] = [];
      const transport = recordingTransport(workerOptions.transport ?? createMailTransport({ smtpUrl: config.mail.smtpUrl }), attempts);
      const running = await startWorker(container, transport);
      const entry = { stopped: false, worker: undefined as unknown as StartedWorker };
      entry.worker = {
        container,
        attempts,
        sweep: () => running.sweep(),
        async stop() {
          if (entry.stopped) return;
          entry.stopped = true;
          await running.stop();
          await container.close();
        },
      };
      workers.push(entry);
      return entry.worker;
    },
    createUser: (input) => createTestUser(web.deps, input),
    createOrg: (input) => createOrganization(web.deps, { kind: 'system' }, { name: input.name ?? input.slug, slug: input.slug, languages: input.languages }),
    createApiKey: (org) => apiKeyFor({ container: web }, org),
    async requestReset(email) {
      const res = await new Agent(app).post('/password/forgot', { email });
      if (res.statusCode !== 200) throw new Error(`forgot-password answered ${res.statusCode}`);
    },
    outbox: () => web.store.outbox.list(10_000),
    async close() {
      for (const w of workers) await w.worker.stop().catch(() => undefined);
      await app.close();
      await web.close();
      await db.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Every queued mail.send@1 job row, dialect-independent: (id, attempts so far, next run time, state). */
export interface QueuedJobView {
  id: string;
  mailId: string;
  /** Attempts already made. */
  attempts: number;
  state: 'queued' | 'running' | 'done' | 'dead';
  /** When the next attempt may start (ms since epoch). */
  runAt: number;
  /** When the last attempt started, where the queue records it (pg-boss), else undefined. */
  lastStartedAt: number | undefined;
}

/** Reads the mail jobs straight from the queue's tables (`jobs` on SQLite, `pgboss.job` on PostgreSQL). */
export async function readMailJobs(h: MailHarness): Promise<QueuedJobView[]> {
  if (h.dialect === 'sqlite') {
    const rows = await h.web.handle.db.selectFrom('jobs').selectAll().where('name', '=', 'mail.send@1').execute();
    return rows.map((r) => ({
      id: r.id,
      mailId: (JSON.parse(r.payload) as { mailId: string }).mailId,
      attempts: r.attempts,
      state: r.status as QueuedJobView['state'],
      runAt: Date.parse(r.run_at),
      lastStartedAt: undefined,
    }));
  }
  const { rows } = await sql<{ id: string; data: { mailId: string }; state: string; retry_count: number; start_after: Date; started_on: Date | null }>`
    SELECT id, data, state::text AS state, retry_count, start_after, started_on FROM pgboss.job WHERE name = 'mail__send_v1'`.execute(h.web.handle.db);
  return rows.map((r) => {
    // pg-boss bumps retry_count when it re-fetches a job: attempts made = retry_count + 1 once started.
    const started = r.started_on !== null;
    const attempts = started ? r.retry_count + 1 : 0;
    const state = r.state === 'created' || r.state === 'retry' ? 'queued' : r.state === 'active' ? 'running' : r.state === 'completed' ? 'done' : 'dead';
    return {
      id: r.id,
      mailId: r.data.mailId,
      attempts,
      state,
      runAt: new Date(r.start_after).getTime(),
      lastStartedAt: r.started_on ? new Date(r.started_on).getTime() : undefined,
    };
  });
}

/**
 * PostgreSQL only: makes the waiting retry of these jobs due now (simulated time: pg-boss schedules retries on
 * the database clock, which the test cannot move, and its back-off is whole seconds). Only the given attempt of
 * each job is moved, so a retry the caller has not looked at yet keeps its schedule.
 */
export async function fastForwardPgRetries(h: MailHarness, jobs: Pick<QueuedJobView, 'id' | 'attempts'>[]): Promise<number> {
  let moved = 0;
  for (const job of jobs) {
    const result = await sql`UPDATE pgboss.job SET start_after = now()
      WHERE name = 'mail__send_v1' AND state = 'retry' AND id = ${job.id}::uuid AND retry_count = ${job.attempts - 1} AND start_after > now()`.execute(
      h.web.handle.db,
    );
    moved += Number(result.numAffectedRows ?? 0);
  }
  return moved;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const EXPECTED_HEADERS = ['x-idempotency-key', 'from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type'];

/** X4 on one received message: its only recipient is `to`, and it carries exactly the headers we set. */
export function expectNoInjectedHeaders(msg: SinkMessage, to: string): void {
  expect(msg.envelope.to).toEqual([to]);
  expect(msg.to).toEqual([to]);
  expect([...msg.headers.keys()].sort()).toEqual([...EXPECTED_HEADERS].sort());
  const keys = msg.headerLines.map((l) => l.key);
  expect(keys.filter((k) => k === 'to')).toHaveLength(1);
  expect(keys.filter((k) => k === 'subject')).toHaveLength(1);
  const rawHeader = msg.raw.slice(0, msg.raw.indexOf('\r\n\r\n'));
  expect(rawHeader).not.toMatch(/^(bcc|cc|reply-to|x-evil)\s*:/im);
  // What the recipient's client shows as the subject (encoded words decoded) holds no line break either.
  expect(msg.subject).not.toMatch(CONTROL);
}
