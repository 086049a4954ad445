/**
 * Outgoing mail end to end, on both databases: HTTP flow → transactional outbox → job queue → worker →
 * nodemailer → a loopback SMTP sink (smtp-server + mailparser).
 *
 * - one message per state change, multipart text + HTML, in the recipient's language, with X-Idempotency-Key;
 * - delivering an outbox row again sends nothing (deliverMail again, or the job enqueued again);
 * - C4: an SMTP outage during a batch of 30 invitations: exponential back-off, then every message exactly once;
 *   a permanent outage ends with the mail row 'dead' (error recorded) and the job dead-lettered;
 * - X4: CRLF, `Bcc:`, encoded words and markup in names add no header and no recipient, and are escaped in HTML;
 * - without SMTP the message is kept 'local' and readable at /admin/outbox by a platform admin only.
 *
 * Real time with short job timings. pg-boss retries in whole seconds from the database clock; where waiting for
 * them would take minutes, the test moves its due time instead (simulated time, see fastForwardPgRetries).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { normalizeName } from '../../src/domain/shared/validation.js';
import { format, messages } from '../../src/i18n/t.js';
import type { JobQueueOptions } from '../../src/jobs/index.js';
import { MAIL_MAX_ATTEMPTS } from '../../src/mail/queue.js';
import { createMailTransport, deliverMail } from '../../src/mail/sender.js';
import { escapeHtml } from '../../src/shared/html.js';
import { extractCode, extractLink } from '../support/app.js';
import { testDialects, type TestDialect } from '../support/db.js';
import { createMailHarness, eventually, expectNoInjectedHeaders, fastForwardPgRetries, readMailJobs, type MailHarness, type SendAttempt } from './harness.js';
import { SmtpSink, type SinkMessage } from './smtp-sink.js';

const FROM = 'no-reply@sceau.test';
const HOST = 'sceau.test';
const NEW_PASSWORD = 'une toute nouvelle phrase secrète';

/** Short timings. pg-boss: poll ≥ 500 ms and back-off in whole seconds (base 1 s, ×2 per attempt, +0–100 % jitter). */
function fastJobs(dialect: TestDialect, overrides: JobQueueOptions = {}): JobQueueOptions {
  const common = { leaseMs: 30_000, stopGraceMs: 3_000 };
  return dialect === 'sqlite'
    ? { ...common, pollIntervalMs: 20, retryBaseMs: 150, retryMaxMs: 60_000, ...overrides }
    : { ...common, pollIntervalMs: 500, retryBaseMs: 1_000, retryMaxMs: 600_000, pgBoss: { maintenanceIntervalSeconds: 1 }, ...overrides };
}

/** Everything the worker had to do is done: no queued mail, no queued or running job. Then a short quiet period. */
async function settle(h: MailHarness, quietMs = h.dialect === 'sqlite' ? 300 : 1_200): Promise<void> {
  await eventually(
    async () => {
      const mails = await h.outbox();
      const counts = await h.web.jobs.counts('mail.send@1');
      return mails.every((m) => m.status !== 'queued') && counts.queued === 0 && counts.running === 0;
    },
    'the outbox and the queue to drain',
    30_000,
  );
  await sleep(quietMs);
}

/** Multipart text + HTML, sender, Message-ID and idempotency key tied to the outbox row. */
function expectWellFormed(msg: SinkMessage, mail: { id: string; idempotencyKey: string; locale: string }): void {
  expect(msg.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
  expect(msg.raw).toMatch(/^Content-Type: text\/plain/im);
  expect(msg.raw).toMatch(/^Content-Type: text\/html/im);
  expect(msg.text.trim().length).toBeGreaterThan(20);
  expect(msg.html).toContain(`<html lang="${mail.locale}">`);
  expect(msg.from).toEqual([FROM]);
  expect(msg.envelope.from).toBe(FROM);
  expect(msg.idempotencyKey).toBe(mail.idempotencyKey);
  expect(msg.messageId).toBe(`<${mail.id}@${HOST}>`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Gaps between consecutive attempts of each key, in ms: gaps[i] is the wait after attempt i+1. */
function gapsByKey(attempts: SendAttempt[]): Map<string, number[]> {
  const times = new Map<string, number[]>();
  for (const a of attempts) times.set(a.key, [...(times.get(a.key) ?? []), a.at]);
  return new Map([...times].map(([k, t]) => [k, t.slice(1).map((x, i) => x - t[i]!)]));
}

/** Expected back-off after attempt n (1-based): SQLite base·2^(n-1) exactly (capped); pg-boss within [base·2^(n-1), base·2^n]. */
function backoffBounds(dialect: TestDialect, n: number, baseMs: number, maxMs = Infinity): [number, number] {
  const low = Math.min(maxMs, baseMs * 2 ** (n - 1));
  return dialect === 'sqlite' ? [low, low] : [low, baseMs * 2 ** n];
}

describe('mail delivery', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(async () => {
    await sink.close();
  });

  for (const dialect of testDialects()) {
    describe(dialect, () => {
      let h: MailHarness | undefined;
      beforeEach(() => sink.reset());
      afterEach(async () => {
        sink.refuse(false);
        await h?.close();
        h = undefined;
        expect(sink.parseErrors).toEqual([]);
      });

      it('sends one multipart message per state change, in the recipient’s language (sign-up, reset, invitation)', async () => {
        h = await createMailHarness({ dialect, smtpUrl: sink.url, jobs: fastJobs(dialect) });
        await h.startWorker();
        const en = messages('en').mail;
        const fr = messages('fr').mail;

        // Sign-up codes: the language chosen on the form.
        const lea = h.agent();
        const leaStart = await lea.post('/signup', { displayName: 'Léa Martin', email: 'lea@example.org', password: 'un mot de passe solide', locale: 'fr' });
        expect(leaStart.statusCode).toBe(303);
        const sam = h.agent();
        expect(
          (await sam.post('/signup', { displayName: 'Sam Lee', email: 'sam@example.org', password: 'a solid pass phrase', locale: 'en' })).statusCode,
        ).toBe(303);
        await sink.waitFor((m) => m.some((x) => x.envelope.to.includes('lea@example.org')) && m.some((x) => x.envelope.to.includes('sam@example.org')));
        const leaCode = extractCode(sink.to('lea@example.org')[0]!.text);
        expect(sink.to('lea@example.org')[0]!.subject).toBe(format(fr['signup.code'].subject, { code: leaCode }));
        const samCode = extractCode(sink.to('sam@example.org')[0]!.text);
        expect(sink.to('sam@example.org')[0]!.subject).toBe(format(en['signup.code'].subject, { code: samCode }));
        // The code that really went through SMTP completes the sign-up.
        const flow = new URL(leaStart.headers.location as string, 'http://x').searchParams.get('flow')!;
        expect((await lea.post('/signup/verify', { flow, code: leaCode })).statusCode).toBe(303);

        // Password reset: the account's language, whatever the page's.
        await h.createUser({ email: 'emma@example.org', name: 'Emma Stone', locale: 'en' });
        await h.createUser({ email: 'jules@example.org', name: 'Jules Verne', locale: 'fr' });
        const anon = h.agent();
        expect((await anon.post('/password/forgot', { email: 'emma@example.org' }, { headers: { 'accept-language': 'fr' } })).statusCode).toBe(200);
        expect((await anon.post('/password/forgot', { email: 'jules@example.org' }, { headers: { 'accept-language': 'en' } })).statusCode).toBe(200);
        await sink.waitFor((m) => m.filter((x) => x.envelope.to.includes('emma@example.org') || x.envelope.to.includes('jules@example.org')).length >= 2);
        const resetMail = sink.to('emma@example.org')[0]!;
        expect(resetMail.subject).toBe(en['password.reset'].subject);
        expect(sink.to('jules@example.org')[0]!.subject).toBe(fr['password.reset'].subject);
        const resetLink = extractLink(resetMail.text, '/password/reset');
        expect(resetMail.html).toContain(escapeHtml(`http://${HOST}:3000${resetLink}`));
        const token = new URL(resetLink, 'http://x').searchParams.get('token')!;
        expect((await anon.post('/password/reset', { token, password: NEW_PASSWORD })).statusCode).toBe(200);
        await sink.waitFor((m) => m.filter((x) => x.envelope.to.includes('emma@example.org')).length >= 2);
        expect(sink.to('emma@example.org')[1]!.subject).toBe(en['password.changed'].subject);

        // Invitations: the form's language for a new address, the account's language for an existing one.
        const org = await h.createOrg({ slug: 'acme', name: 'Acme Formation' });
        await h.createUser({ email: 'admin@acme.test', org, role: 'admin', locale: 'fr' });
        const admin = h.agent();
        await admin.signIn('admin@acme.test');
        for (const [email, role, locale] of [
          ['new.en@example.org', 'staff', 'en'],
          ['new.fr@example.org', 'reviewer', 'fr'],
          ['emma@example.org', 'staff', 'fr'],
        ] as const) {
          const res = await admin.post('/console/acme/invitations', { email, role, locale });
          expect(res.statusCode, `invite ${email}`).toBe(303);
        }
        await settle(h);

        // Exactly the outbox, once each: 8 rows, 8 messages, 8 distinct keys.
        const outbox = await h.outbox();
        expect(outbox).toHaveLength(8);
        expect(sink.messages).toHaveLength(8);
        expect(sink.uniqueKeys()).toBe(8);
        for (const mail of outbox) {
          expect(mail.status, `${mail.kind} to ${mail.to}`).toBe('sent');
          expect(mail.attempts).toBe(1);
          const received = sink.messages.filter((m) => m.idempotencyKey === mail.idempotencyKey);
          expect(received, `${mail.kind} to ${mail.to}`).toHaveLength(1);
          expectWellFormed(received[0]!, mail);
          expectNoInjectedHeaders(received[0]!, mail.to);
          expect(received[0]!.subject).toBe(mail.subject);
        }
        const byKind = (to: string) =>
          outbox
            .filter((m) => m.to === to)
            .map((m) => `${m.kind}:${m.locale}`)
            .sort();
        expect(byKind('emma@example.org')).toEqual(['invitation:en', 'password.changed:en', 'password.reset:en']);
        expect(byKind('new.en@example.org')).toEqual(['invitation:en']);
        expect(byKind('new.fr@example.org')).toEqual(['invitation:fr']);
        expect(sink.to('new.en@example.org')[0]!.subject).toBe(format(en.invitation.subject, { orgName: 'Acme Formation' }));
        expect(sink.to('new.fr@example.org')[0]!.subject).toBe(format(fr.invitation.subject, { orgName: 'Acme Formation' }));
        expect(sink.to('new.fr@example.org')[0]!.text).toContain(messages('fr').roles.reviewer);
        // The link in the invitation works.
        const accept = extractLink(sink.to('new.en@example.org')[0]!.text, '/invitations/accept');
        expect((await h.agent().get(accept)).statusCode).toBe(200);
      });

      it('never sends an outbox row twice: a second deliverMail or a second job sends nothing', async () => {
        h = await createMailHarness({ dialect, smtpUrl: sink.url, jobs: fastJobs(dialect) });
        await h.createUser({ email: 'nora@example.org', locale: 'en' });
        await h.requestReset('nora@example.org');
        const [mail] = await h.outbox();
        expect(mail?.status).toBe('queued');
        // The job is enqueued after the transaction commits, without the request waiting for it.
        await eventually(async () => (await h!.web.jobs.counts('mail.send@1')).queued === 1, 'the mail job');
        // Enqueued again while its job is waiting: dropped (one live job per mail).
        expect(await h.web.jobs.enqueue('mail.send@1', { mailId: mail!.id }, { singletonKey: mail!.id, maxAttempts: MAIL_MAX_ATTEMPTS })).toBeNull();
        expect(await h.web.jobs.enqueue('mail.send@1', { mailId: mail!.id }, { singletonKey: mail!.id, maxAttempts: MAIL_MAX_ATTEMPTS })).toBeNull();

        expect(await readMailJobs(h)).toHaveLength(1);
        const worker = await h.startWorker();
        await sink.waitForCount(1);
        await settle(h);
        expect(sink.messages).toHaveLength(1);

        // deliverMail on the delivered row: nothing sent.
        const transport = createMailTransport({ smtpUrl: sink.url });
        try {
          await deliverMail(
            { store: h.web.store, clock: h.web.deps.clock, transport, from: h.config.mail.from, host: HOST },
            { mailId: mail!.id, attempt: 1, maxAttempts: MAIL_MAX_ATTEMPTS },
          );
        } finally {
          transport.close();
        }
        // The job enqueued again after it finished: it runs, and sends nothing.
        expect(await h.web.jobs.enqueue('mail.send@1', { mailId: mail!.id }, { singletonKey: mail!.id, maxAttempts: MAIL_MAX_ATTEMPTS })).not.toBeNull();
        await eventually(async () => (await h!.web.jobs.counts('mail.send@1')).done === 2, 'the second job to finish');
        // And the sweeper finds nothing to re-enqueue, now or later.
        expect(await worker.sweep()).toBe(0);
        expect(await h.web.store.outbox.listStaleQueued(new Date(Date.now() + 24 * 3_600_000), 100)).toEqual([]);
        await settle(h);

        expect(sink.messages).toHaveLength(1);
        expect(sink.connections).toBe(1);
        expect(worker.attempts.filter((a) => a.key === mail!.idempotencyKey)).toHaveLength(1);
        const after = await h.web.store.outbox.findById(mail!.id);
        expect(after).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
      });

      it('two concurrent deliveries of one queued row carry the same X-Idempotency-Key and Message-ID', async () => {
        h = await createMailHarness({ dialect, smtpUrl: sink.url, jobs: fastJobs(dialect) });
        await h.createUser({ email: 'omar@example.org', locale: 'fr' });
        await h.requestReset('omar@example.org');
        const [mail] = await h.outbox();
        const transport = createMailTransport({ smtpUrl: sink.url });
        const deps = { store: h.web.store, clock: h.web.deps.clock, transport, from: h.config.mail.from, host: HOST };
        try {
          await Promise.all([1, 2].map(() => deliverMail(deps, { mailId: mail!.id, attempt: 1, maxAttempts: MAIL_MAX_ATTEMPTS })));
        } finally {
          transport.close();
        }
        // deliverMail does not claim the row before sending (at-least-once): a race can reach the server twice,
        // and the key lets the receiver (and this sink) drop the copy. What must hold: one logical message.
        expect(sink.messages.length).toBeGreaterThanOrEqual(1);
        expect(sink.messages.length).toBeLessThanOrEqual(2);
        expect(sink.uniqueKeys()).toBe(1);
        expect(new Set(sink.messages.map((m) => m.messageId))).toEqual(new Set([`<${mail!.id}@${HOST}>`]));
        // The worker then finds the row delivered and sends nothing more.
        const before = sink.messages.length;
        await h.startWorker();
        await settle(h);
        expect(sink.messages).toHaveLength(before);
        expect((await h.web.store.outbox.findById(mail!.id))?.status).toBe('sent');
      });

      it('C4: an SMTP outage during 30 invitations: exponential back-off, then each message exactly once', async () => {
        const jobs = fastJobs(dialect);
        const base = jobs.retryBaseMs!;
        h = await createMailHarness({ dialect, smtpUrl: sink.url, jobs });
        const org = await h.createOrg({ slug: 'outage-school', name: 'Outage School' });
        const key = await h.createApiKey(org);
        const recipients = Array.from({ length: 30 }, (_, i) => `learner${String(i).padStart(2, '0')}@example.org`);

        sink.refuse(true);
        const worker = await h.startWorker();
        const outageStart = Date.now();
        for (const [i, email] of recipients.entries()) {
          const res = await h.app.inject({
            method: 'POST',
            url: '/api/v1/organization/invitations',
            headers: { authorization: `Bearer ${key}` },
            payload: { email, role: 'staff', locale: i % 2 ? 'en' : 'fr' },
          });
          expect(res.statusCode, res.body).toBe(201);
        }
        const outbox = await h.outbox();
        expect(outbox).toHaveLength(30);
        const keys = new Set(outbox.map((m) => m.idempotencyKey));

        // While the sink is down, sample the queue for the back-off each job got after its n-th failed attempt:
        // next run time − end of that attempt (SQLite), − its start as pg-boss records it (PostgreSQL).
        const keyOf = new Map(outbox.map((m) => [m.id, m.idempotencyKey]));
        const scheduled = new Map<string, number>();
        const scheduledByAttempt = new Map<number, number[]>();
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            for (const job of await readMailJobs(h!)) {
              const id = `${job.id}#${job.attempts}`;
              if (job.state !== 'queued' || job.attempts === 0 || scheduled.has(id)) continue;
              const mine = worker.attempts.filter((a) => a.key === keyOf.get(job.mailId));
              const from = job.lastStartedAt ?? (mine.length === job.attempts ? mine[job.attempts - 1]!.endedAt : undefined);
              if (from === undefined) continue;
              scheduled.set(id, job.runAt - from);
              scheduledByAttempt.set(job.attempts, [...(scheduledByAttempt.get(job.attempts) ?? []), job.runAt - from]);
            }
            await sleep(20);
          }
        })();

        // Keep the sink down until every message has failed a few times (pg-boss: 2, its delays are seconds).
        const minFailures = dialect === 'sqlite' ? 3 : 2;
        const failures = (k: string) => worker.attempts.filter((a) => a.key === k && !a.ok).length;
        try {
          await eventually(
            async () => [...keys].every((k) => failures(k) >= minFailures) && (await h!.outbox()).every((m) => m.attempts >= minFailures),
            `${minFailures} failed attempts per message`,
            30_000,
          );
        } finally {
          sampling = false;
          await sampler;
        }

        // Mid-outage: every row is still queued, with its failed attempts and the error recorded.
        for (const m of await h.outbox()) {
          expect(m.status).toBe('queued');
          expect(m.attempts).toBeGreaterThanOrEqual(minFailures);
          expect(m.lastError).toMatch(/421|Service not available/);
        }
        expect(sink.messages).toHaveLength(0);

        sink.refuse(false);
        const outageMs = Date.now() - outageStart;
        await sink.waitFor(() => sink.uniqueKeys() === 30, 60_000, 'all 30 messages after recovery');
        await settle(h);

        // 0 lost, 0 duplicated, one per recipient.
        expect(sink.messages).toHaveLength(30);
        expect([...sink.keyCounts().values()].every((n) => n === 1)).toBe(true);
        expect(new Set(sink.messages.map((m) => m.idempotencyKey))).toEqual(keys);
        expect(sink.messages.map((m) => m.envelope.to[0]).sort()).toEqual(recipients);
        for (const m of await h.outbox()) {
          expect(m.status).toBe('sent');
          expect(m.attempts).toBe(failures(m.idempotencyKey) + 1);
          expect(m.attempts).toBeLessThan(MAIL_MAX_ATTEMPTS);
          expect(m.lastError).toBeNull();
        }
        expect(await h.web.jobs.counts('mail.send@1')).toEqual({ queued: 0, running: 0, done: 30, dead: 0 });
        expect(sink.refusedConnections).toBe(worker.attempts.filter((a) => !a.ok).length);

        // Back-off grows exponentially. The delays the queue scheduled: base·2^(n-1) on SQLite (+ bookkeeping),
        // within [base·2^(n-1), base·2^n] on pg-boss (+ the attempt's own duration); their median doubles.
        const medians: number[] = [];
        for (let n = 1; n <= minFailures; n++) {
          const delays = scheduledByAttempt.get(n) ?? [];
          expect(delays.length, `back-offs seen after attempt ${n}`).toBeGreaterThanOrEqual(20);
          const [low, high] = backoffBounds(dialect, n, base);
          for (const d of delays) {
            expect(d, `back-off after attempt ${n}`).toBeGreaterThanOrEqual(low - 5);
            expect(d, `back-off after attempt ${n}`).toBeLessThanOrEqual(high + (dialect === 'sqlite' ? 500 : 1_000));
          }
          medians.push(median(delays));
          if (n > 1) expect(medians[n - 1]!).toBeGreaterThan(medians[n - 2]! * 1.5);
        }
        // And no retry came early: each real wait between two attempts is at least its back-off.
        for (const [k, g] of gapsByKey(worker.attempts)) {
          g.forEach((gap, i) => expect(gap, `key ${k}, wait after attempt ${i + 1}`).toBeGreaterThanOrEqual(backoffBounds(dialect, i + 1, base)[0] - 5));
        }
        console.info(
          `[C4 ${dialect}] outage ${outageMs} ms, ${sink.refusedConnections} refused connections, ` +
            `median scheduled back-off ${medians.map((x) => Math.round(x)).join(' → ')} ms`,
        );
      });

      it('C4: with the sink down for good, the mail ends dead with its error and the job is dead-lettered', async () => {
        const jobs = dialect === 'sqlite' ? fastJobs(dialect, { pollIntervalMs: 10, retryBaseMs: 20, retryMaxMs: 160 }) : fastJobs(dialect);
        const base = jobs.retryBaseMs!;
        h = await createMailHarness({ dialect, smtpUrl: sink.url, jobs });
        await h.createUser({ email: 'root@sceau.test', isPlatformAdmin: true, locale: 'en' });
        await h.createUser({ email: 'gone@example.org', locale: 'en' });
        sink.refuse(true);
        const worker = await h.startWorker();
        await h.requestReset('gone@example.org');
        const [mail] = await h.outbox();

        // pg-boss: record each scheduled back-off, then make the retry due now (8 attempts would take minutes).
        const scheduled = new Map<number, number>();
        let warping = true;
        const warp = (async () => {
          while (warping && dialect === 'postgres') {
            const waiting = (await readMailJobs(h!)).filter((j) => j.state === 'queued' && j.attempts > 0 && j.lastStartedAt);
            for (const job of waiting) if (!scheduled.has(job.attempts)) scheduled.set(job.attempts, job.runAt - job.lastStartedAt!);
            await fastForwardPgRetries(h!, waiting);
            await sleep(50);
          }
        })();
        try {
          await eventually(async () => (await h!.web.store.outbox.findById(mail!.id))?.status === 'dead', 'the mail to be dead', 45_000);
          await eventually(async () => (await h!.web.jobs.counts('mail.send@1')).dead === 1, 'the job to be dead-lettered', 15_000);
        } finally {
          warping = false;
          await warp;
        }

        const dead = await h.web.store.outbox.findById(mail!.id);
        expect(dead).toMatchObject({ status: 'dead', attempts: MAIL_MAX_ATTEMPTS, sentAt: null });
        expect(dead!.lastError).toMatch(/421|Service not available/);
        expect(await h.web.jobs.counts('mail.send@1')).toEqual({ queued: 0, running: 0, done: 0, dead: 1 });
        const mine = worker.attempts.filter((a) => a.key === mail!.idempotencyKey);
        expect(mine).toHaveLength(MAIL_MAX_ATTEMPTS);
        expect(mine.every((a) => !a.ok)).toBe(true);
        if (dialect === 'postgres') {
          // pg-boss copies the exhausted job into the dead-letter queue.
          const { rows } = await sql<{ data: { mailId: string } }>`SELECT data FROM pgboss.job WHERE name = 'mail__send_v1__dead'`.execute(h.web.handle.db);
          expect(rows.map((r) => r.data.mailId)).toEqual([mail!.id]);
          // The back-off pg-boss scheduled after attempt n lies in [2^(n-1), 2^n] s.
          expect([...scheduled.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
          for (const [n, waitMs] of scheduled) {
            const [low, high] = backoffBounds(dialect, n, base);
            expect(waitMs, `back-off after attempt ${n}`).toBeGreaterThanOrEqual(low - 100);
            expect(waitMs, `back-off after attempt ${n}`).toBeLessThanOrEqual(high + 1_000); // + the attempt itself
          }
        } else {
          for (const [n, gap] of gapsByKey(mine).get(mail!.idempotencyKey)!.entries()) {
            const [low] = backoffBounds(dialect, n + 1, base, jobs.retryMaxMs);
            expect(gap, `wait after attempt ${n + 1}`).toBeGreaterThanOrEqual(low - 5);
          }
        }

        // Shown to the platform admin with the error; never sent later, even once the server is back.
        const admin = h.agent();
        await admin.signIn('root@sceau.test');
        const page = await admin.get('/admin/outbox?lang=en');
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain(messages('en').outbox.status.dead);
        expect(page.body).toMatch(/421|Service not available/);
        sink.refuse(false);
        expect(await worker.sweep()).toBe(0);
        // The sweeper only re-enqueues 'queued' rows: however old the dead row gets, it is never picked up.
        expect(await h.web.store.outbox.listStaleQueued(new Date(Date.now() + 24 * 3_600_000), 100)).toEqual([]);
        await sleep(dialect === 'sqlite' ? 300 : 1_200);
        expect(sink.messages).toHaveLength(0);
      });

      it('X4: CRLF, Bcc:, encoded words and markup in names add no header or recipient and are escaped in HTML', async () => {
        h = await createMailHarness({ dialect, smtpUrl: sink.url, jobs: fastJobs(dialect) });
        await h.startWorker();
        const hostileInviter = '<script>alert("inviter")</script>\r\nBcc: evil@x.test';
        const org = await h.createOrg({ slug: 'evil-org', name: 'Placeholder', languages: 'fr,en' });
        await h.createUser({ email: 'boss@evil-org.test', name: hostileInviter, org, role: 'admin' });
        const admin = h.agent();
        await admin.signIn('boss@evil-org.test');

        const orgNames = [
          'Acme\r\nBcc: evil@x.test\r\nX-Evil: 1 <script>alert(1)</script>',
          '=?utf-8?b?DQpCY2M6IGV2aWxAeC50ZXN0?=', // "\r\nBcc: evil@x.test" as an RFC 2047 encoded word
          'Q =?utf-8?q?=0D=0ABcc:_evil@x.test?= & "quotes" \'single\' `tick`',
        ];
        const expected: { to: string; values: string[] }[] = [];
        for (const [i, raw] of orgNames.entries()) {
          const saved = await admin.post('/console/evil-org/settings', { name: raw, languages: ['fr', 'en'] });
          expect(saved.statusCode, saved.body).toBe(303);
          for (const locale of ['en', 'fr'] as const) {
            const to = `victim${i}.${locale}@example.org`;
            expect((await admin.post('/console/evil-org/invitations', { email: to, role: 'staff', locale })).statusCode).toBe(303);
            expected.push({ to, values: [normalizeName(raw, 'name'), normalizeName(hostileInviter)] });
          }
        }
        // A sign-up whose display name carries the same payloads (it appears in the body only).
        const hostileName = '=?utf-8?q?Bcc=3A_evil=40x.test?= <img src=x onerror=alert(2)>\r\nBcc: evil@x.test';
        expect(
          (await h.agent().post('/signup', { displayName: hostileName, email: 'mallory@example.org', password: 'a solid pass phrase', locale: 'en' }))
            .statusCode,
        ).toBe(303);
        expected.push({ to: 'mallory@example.org', values: [normalizeName(hostileName)] });
        // Defence in depth: values that skipped input validation (older rows, another driver) reach render + SMTP raw.
        const rawOrg = 'Raw\r\nBcc: evil@x.test\r\nX-Evil: 1\n\rSubject: spoofed';
        const rawInviter = '<img src=x onerror=alert(3)>\u2028</p><a href="javascript:alert(4)">x</a>';
        await h.web.store.outbox.add({
          kind: 'invitation',
          to: 'raw@example.org',
          locale: 'en',
          params: { orgName: rawOrg, inviterName: rawInviter, role: 'staff', acceptUrl: `http://${HOST}:3000/invitations/accept?token=abc` },
        });
        expected.push({ to: 'raw@example.org', values: [rawInviter] });

        await settle(h);
        const outbox = await h.outbox();
        expect(outbox).toHaveLength(expected.length);
        expect(sink.messages).toHaveLength(expected.length);
        expect(sink.to('evil@x.test')).toHaveLength(0);
        expect(new Set(sink.messages.flatMap((m) => m.envelope.to))).toEqual(new Set(expected.map((e) => e.to)));
        for (const { to, values } of expected) {
          const [msg] = sink.to(to);
          expect(msg, to).toBeDefined();
          const mail = outbox.find((m) => m.to === to)!;
          expectNoInjectedHeaders(msg!, to);
          expectWellFormed(msg!, mail);
          // The subject the recipient sees is the literal text we rendered (no decoding of user-supplied words).
          expect(msg!.subject, to).toBe(mail.subject);
          expect(msg!.html).not.toMatch(/<script|<img|<a href="javascript/i);
          for (const value of values) expect(msg!.html, `${to}: ${JSON.stringify(value)}`).toContain(escapeHtml(value));
        }
        // The raw org name's line breaks became spaces in the subject, which is still one header line.
        expect(sink.to('raw@example.org')[0]!.subject).toBe('Invitation to join Raw Bcc: evil@x.test X-Evil: 1 Subject: spoofed on Sceau');
      });

      it('without SMTP the message is kept locally, readable at /admin/outbox by a platform admin only', async () => {
        h = await createMailHarness({ dialect, jobs: fastJobs(dialect) });
        await h.createUser({ email: 'root@sceau.test', isPlatformAdmin: true, locale: 'en' });
        await h.createUser({ email: 'staff@sceau.test', locale: 'en' });
        const worker = await h.startWorker();
        expect(h.web.deps.mailMode).toBe('local');
        const res = await h.agent().post('/signup', { displayName: 'Local Lou', email: 'lou@example.org', password: 'a solid pass phrase', locale: 'en' });
        expect(res.statusCode).toBe(303);
        await settle(h);
        const [mail] = await h.outbox();
        expect(mail).toMatchObject({ status: 'local', attempts: 1, to: 'lou@example.org' });
        expect(mail!.sentAt).toBeInstanceOf(Date);
        expect(worker.attempts).toHaveLength(0);
        expect(sink.connections).toBe(0);
        const body = (await h.web.store.outbox.readBody(mail!.id))!;
        const code = extractCode(body.text);

        const admin = h.agent();
        await admin.signIn('root@sceau.test');
        const list = await admin.get('/admin/outbox?lang=en');
        expect(list.statusCode).toBe(200);
        expect(list.body).toContain(escapeHtml(mail!.subject));
        expect(list.body).toContain(messages('en').outbox.status.local);
        expect(list.body).toContain(messages('en').outbox.intro);
        const one = await admin.get(`/admin/outbox/${mail!.id}?lang=en`);
        expect(one.statusCode).toBe(200);
        expect(one.body).toContain(code);
        expect(one.body).toContain('lou@example.org');

        const staff = h.agent();
        await staff.signIn('staff@sceau.test');
        for (const url of ['/admin/outbox', `/admin/outbox/${mail!.id}`]) {
          const denied = await staff.get(url);
          expect(denied.statusCode, url).toBe(404);
          expect(denied.body).not.toContain(code);
          // Signed out: the sign-in form (401), never the message.
          const anonymous = await h.agent().get(url);
          expect(anonymous.statusCode, url).toBe(401);
          expect(anonymous.body).not.toContain(code);
        }
      });
    });
  }
});
