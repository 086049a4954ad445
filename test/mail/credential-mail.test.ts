/**
 * The credential e-mail (issue 5) through the real pipeline: issuance → outbox → job queue → worker → nodemailer →
 * the loopback SMTP sink (smtp-server + mailparser).
 *
 * - X4: recipient names, template names and the issuer's own subject and body (merge fields included) carrying CRLF,
 *   `Bcc:` lines, RFC 2047 encoded words and markup, sent through the console form, the API and a bulk file, plus rows
 *   written straight into the outbox (values that skipped input validation): no extra header or recipient reaches the
 *   sink, the subject stays one line, and the HTML body escapes every user value.
 * - C4 for bulk issuance (SQLite: the same queue test on PostgreSQL runs in delivery.test.ts with 30 messages, pg-boss
 *   retries take whole seconds): a 1,000-row job is issued while the sink refuses every connection; after recovery
 *   every message is in the sink exactly once (dedupe on X-Idempotency-Key), the retries backed off exponentially, and
 *   the one address whose mail always fails ends `dead` with its error, shown to the issuer admin on the credentials
 *   list and on the credential's page.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createImport, publishJob } from '../../src/domain/issuance/import-spreadsheet.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import { normalizeName } from '../../src/domain/shared/validation.js';
import { messages } from '../../src/i18n/t.js';
import type { JobQueueOptions } from '../../src/jobs/index.js';
import { MAIL_MAX_ATTEMPTS } from '../../src/mail/queue.js';
import { type MailTransport, createMailTransport } from '../../src/mail/sender.js';
import { escapeHtml } from '../../src/shared/html.js';
import { TEMPLATE_INPUT, csvOf } from '../templates/support.js';
import { Writable } from 'node:stream';
import { compose } from '../../src/compose.js';
import { systemClock } from '../../src/domain/shared/clock.js';
import { startWorker } from '../../src/worker/worker.js';
import { createLogger } from '../../src/logger.js';
import { openDatabase } from '../../src/store/db.js';
import { type MailHarness, type SendAttempt, createMailHarness, eventually, expectNoInjectedHeaders, readMailJobs, recordingTransport } from './harness.js';
import { SmtpSink } from './smtp-sink.js';

/** SQLite queue timings: quick polls, back-off base·2^(n−1) capped at `retryMaxMs`. */
const fastJobs = (overrides: JobQueueOptions = {}): JobQueueOptions => ({
  leaseMs: 30_000,
  stopGraceMs: 3_000,
  pollIntervalMs: 20,
  retryBaseMs: 150,
  retryMaxMs: 60_000,
  ...overrides,
});

/**
 * A worker "process" with its own queue worker id (the harness's startWorker gives every worker of the test process the
 * same id, `worker-<host>-<pid>`, so a second one would reclaim the first one's running jobs as its own at start).
 */
async function startNamedWorker(h: MailHarness, workerId: string, jobs: JobQueueOptions, transport: MailTransport) {
  const handle = openDatabase(h.config.db, { poolSize: 3 });
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const container = await compose(h.config, { role: 'worker', clock: systemClock, logger, handle, jobs: { ...jobs, workerId } });
  const attempts: SendAttempt[] = [];
  const running = await startWorker(container, recordingTransport(transport, attempts));
  let stopped = false;
  return {
    attempts,
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.stop();
      await container.close();
    },
  };
}

async function drained(h: MailHarness): Promise<void> {
  await eventually(
    async () => {
      const mails = await h.outbox();
      const counts = await h.web.jobs.counts('mail.send@1');
      return mails.length > 0 && mails.every((m) => m.status !== 'queued') && counts.queued === 0 && counts.running === 0;
    },
    'the outbox and the queue to drain',
    60_000,
  );
  await sleep(300);
}

describe('the credential e-mail', () => {
  let sink: SmtpSink, h: MailHarness | undefined;
  /** Workers started outside the harness: stopped before it closes. */
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(async () => {
    await sink.close();
  });
  beforeEach(() => sink.reset());
  afterEach(async () => {
    sink.refuse(false);
    for (const stop of cleanups.splice(0)) await stop();
    await h?.close();
    h = undefined;
    expect(sink.parseErrors).toEqual([]);
  });

  it('X4: CRLF, Bcc:, encoded words and markup in names, template names, subjects and bodies add no header or recipient and are escaped in HTML', async () => {
    h = await createMailHarness({ dialect: 'sqlite', smtpUrl: sink.url, jobs: fastJobs() });
    const org = await h.createOrg({ slug: 'x4-org', name: 'Organisme <b>X4</b>', languages: 'fr,en' });
    await h.createUser({ email: 'admin@x4.test', org, role: 'admin' });
    const actor = { kind: 'user' as const, userId: (await h.web.store.memberships.list(org.id))[0]!.userId, isPlatformAdmin: false as const, ip: null };
    const hostileSubject = 'Votre {{titre}}\r\nBcc: evil@x.test\r\nX-Evil: 1 =?utf-8?b?DQpCY2M6IGV2aWxAeC50ZXN0?=';
    const hostileBody = 'Bonjour {{nom}} ({{note}}),\r\nBcc: evil@x.test\n\n<script>alert("body")</script> <a href="javascript:alert(1)">x</a>\n{{lien}}';
    const hostileTitle = 'Titre\nBcc: evil@x.test <img src=x onerror=alert(1)>';
    // A custom subject and body (merge fields), and one template with the default texts (the title goes into them).
    const custom = await createTemplate(h.web.deps, actor, {
      slug: org.slug,
      template: {
        ...TEMPLATE_INPUT,
        name: { fr: hostileTitle, en: hostileTitle },
        email: { subject: { fr: hostileSubject, en: hostileSubject }, body: { fr: hostileBody, en: hostileBody } },
      },
    });
    const plain = await createTemplate(h.web.deps, actor, {
      slug: org.slug,
      template: { ...TEMPLATE_INPUT, name: { fr: hostileTitle, en: hostileTitle }, email: {} },
    });
    const names = [
      '<script>alert("n")</script>\r\nBcc: evil@x.test',
      '=?utf-8?b?DQpCY2M6IGV2aWxAeC50ZXN0?=',
      'Q =?utf-8?q?=0D=0ABcc:_evil@x.test?= & "quotes" \'single\' `tick`',
      '<img src=x onerror=alert(2)> Camille\nX-Evil: 1',
    ];
    const expected: { to: string; values: string[] }[] = [];
    // Through the API (every template, every name).
    const key = await h.createApiKey(org);
    let n = 0;
    for (const template of [custom, plain]) {
      const recipients = names.map((name) => ({ name, email: `victim${++n}@example.org`, locale: n % 2 ? 'fr' : 'en', fields: { note: '<b>A</b>' } }));
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/v1/credentials',
        headers: { authorization: `Bearer ${key}` },
        payload: { templateId: template.id, recipients },
      });
      expect(res.statusCode, res.body).toBe(201);
      for (const r of recipients) expected.push({ to: r.email, values: [normalizeName(r.name, 'name'), ...(template === custom ? ['<b>A</b>'] : [])] });
    }
    // Through a bulk file (quoted cells with CRLF).
    const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
    const file = Buffer.from(`Nom;Courriel;Note\r\n${names.map((name, i) => `${q(name)};bulk${i}@example.org;A`).join('\r\n')}\r\n`);
    const job = await createImport(h.web.deps, actor, { slug: org.slug, templateId: custom.id, bytes: file });
    await publishJob(h.web.deps, actor, { slug: org.slug, jobId: job.id });
    names.forEach((name, i) => expected.push({ to: `bulk${i}@example.org`, values: [normalizeName(name.replace(/\r\n/g, '\n'), 'name')] }));
    // Defence in depth: values that skipped input validation reach rendering and SMTP as they are.
    const rawName = 'Raw\r\nBcc: evil@x.test\r\n<script>alert(3)</script>';
    await h.web.store.outbox.add({
      kind: 'credential.issued',
      to: 'raw@example.org',
      locale: 'en',
      params: {
        name: rawName,
        orgName: 'Org\r\nBcc: evil@x.test',
        credentialName: 'Cred\r\nX-Evil: 1',
        link: 'http://sceau.test:3000/c/00000000-0000-4000-8000-000000000000?t=abc',
        inAccount: 0,
        customSubject: 'Spoof\r\nBcc: evil@x.test\r\nSubject: spoofed\n\rX-Evil: 1',
        customBody: `Hello ${rawName}\r\n<img src=x onerror=alert(4)>`,
      },
    });
    expected.push({ to: 'raw@example.org', values: [rawName.split('\r\n')[2]!, '<img src=x onerror=alert(4)>'] });

    // The worker starts once the writes are done: in one test process, its polling (better-sqlite3 waits for the
    // write lock synchronously) would stall the web container's transactions for seconds.
    await h.startWorker();
    await eventually(async () => (await h!.outbox()).length >= expected.length, 'every credential e-mail in the outbox', 60_000);
    await drained(h);
    const outbox = await h.outbox();
    expect(outbox.filter((m) => m.kind === 'credential.issued')).toHaveLength(expected.length);
    expect(sink.messages).toHaveLength(expected.length);
    expect(sink.to('evil@x.test')).toHaveLength(0);
    expect(new Set(sink.messages.flatMap((m) => m.envelope.to))).toEqual(new Set(expected.map((e) => e.to)));
    for (const { to, values } of expected) {
      const [msg] = sink.to(to);
      expect(msg, to).toBeDefined();
      expectNoInjectedHeaders(msg!, to);
      const mail = outbox.find((m) => m.to === to)!;
      expect(msg!.subject, to).toBe(mail.subject);
      expect(msg!.idempotencyKey).toBe(mail.idempotencyKey);
      expect(msg!.html, to).not.toMatch(/<script|<img|<b>|href="javascript/i);
      for (const value of values) expect(msg!.html, `${to}: ${JSON.stringify(value)}`).toContain(escapeHtml(value));
    }
    // The custom subject kept its words on one line; the default one carries the (hostile) title, on one line too.
    expect(sink.to('victim1@example.org')[0]!.subject).toBe(
      `Votre ${hostileTitle.replace('\n', ' ')} Bcc: evil@x.test X-Evil: 1 =?utf-8?b?DQpCY2M6IGV2aWxAeC50ZXN0?=`,
    );
    expect(sink.to('raw@example.org')[0]!.subject).toBe('Spoof Bcc: evil@x.test Subject: spoofed X-Evil: 1');
  }, 120_000);

  it('C4: a 1,000-row bulk job during an SMTP outage: 0 lost, each sent exactly once after recovery, retries back off, the one that never goes through is dead and shown to the issuer', async () => {
    const retryBaseMs = 100;
    const retryMaxMs = 800;
    const jobs = fastJobs({ retryBaseMs, retryMaxMs });
    h = await createMailHarness({ dialect: 'sqlite', smtpUrl: sink.url, jobs });
    const org = await h.createOrg({ slug: 'c4-org', name: 'Centre C4', languages: 'fr,en' });
    const admin = await h.createUser({ email: 'admin@c4.test', org, role: 'admin', locale: 'en' });
    const actor = { kind: 'user' as const, userId: admin.id, isPlatformAdmin: false as const, ip: null };
    const template = await createTemplate(h.web.deps, actor, { slug: org.slug, template: TEMPLATE_INPUT });
    // One mailbox the server always refuses (a permanent failure): its mail must end dead, the others must all arrive.
    const DEAD = 'mort.definitif@example.org';
    const refusing = (): MailTransport => {
      const inner = createMailTransport({ smtpUrl: sink.url });
      return {
        kind: inner.kind,
        async send(m) {
          if (m.to === DEAD) throw new Error('550 5.1.1 <mort.definitif@example.org>: mailbox unavailable');
          await inner.send(m);
        },
        close: () => inner.close(),
      };
    };

    const ROWS = 1000;
    const file = csvOf(ROWS, { bad: { 500: `Mort Définitif;${DEAD};A;15/06/2026` } });
    const job = await createImport(h.web.deps, actor, { slug: org.slug, templateId: template.id, bytes: file });
    // Published before the workers start (in one process their polling would stall the web container's writes).
    await publishJob(h.web.deps, actor, { slug: org.slug, jobId: job.id });
    const agent = h.agent();
    await agent.signIn('admin@c4.test');

    sink.refuse(true);
    const outageStart = Date.now();
    // Three worker processes (4 mail slots each): the sink greets every connection after 100 ms (smtp-server's
    // early-talker delay), so one worker alone would take minutes for 2,000+ attempts.
    const workers: Awaited<ReturnType<typeof startNamedWorker>>[] = [];
    for (let i = 0; i < 3; i++) {
      const wk = await startNamedWorker(h, `c4-worker-${i}`, jobs, refusing());
      workers.push(wk);
      cleanups.push(() => wk.stop());
    }
    const attempts = () => workers.flatMap((wk) => wk.attempts).sort((a, b) => a.at - b.at);

    // The back-off the queue schedules after each failed attempt (its next run_at minus the attempt's end).
    const keyOf = new Map<string, string>();
    const scheduled = new Map<number, number[]>();
    const seen = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        if (keyOf.size < ROWS) for (const m of await h!.outbox()) keyOf.set(m.id, m.idempotencyKey);
        const all = attempts();
        for (const j of await readMailJobs(h!)) {
          const id = `${j.id}#${j.attempts}`;
          if (j.state !== 'queued' || j.attempts === 0 || seen.has(id)) continue;
          const mine = all.filter((a) => a.key === keyOf.get(j.mailId));
          if (mine.length !== j.attempts || mine[j.attempts - 1]!.endedAt === undefined) continue;
          seen.add(id);
          scheduled.set(j.attempts, [...(scheduled.get(j.attempts) ?? []), j.runAt - mine[j.attempts - 1]!.endedAt!]);
        }
        await sleep(50);
      }
    })();

    const failures = (k: string) => attempts().filter((a) => a.key === k && !a.ok).length;
    try {
      await eventually(async () => (await h!.web.store.issuanceJobs.findById(job.id))?.status === 'completed', 'the job to complete', 120_000, 100);
      expect(await h.web.store.issuanceJobs.counts(job.id)).toMatchObject({ issued: ROWS, failed: 0 });
      // The outage lasts until every message failed at least once, and a hundred of them twice.
      await eventually(
        async () => {
          const mails = (await h!.outbox()).filter((m) => m.kind === 'credential.issued');
          return (
            mails.length === ROWS && mails.every((m) => failures(m.idempotencyKey) >= 1) && mails.filter((m) => failures(m.idempotencyKey) >= 2).length >= 100
          );
        },
        'failed attempts for every message',
        120_000,
        100,
      );
      const mid = (await h.outbox()).filter((m) => m.kind === 'credential.issued');
      expect(mid.filter((m) => m.status === 'queued').length).toBeGreaterThanOrEqual(ROWS - 1);
      for (const m of mid.filter((x) => x.to !== DEAD)) expect(m.lastError).toMatch(/421|Service not available/);
      expect(sink.messages).toHaveLength(0);
    } finally {
      sampling = false;
      await sampler;
    }

    sink.refuse(false);
    const outageMs = Date.now() - outageStart;
    await sink.waitFor(() => sink.uniqueKeys() === ROWS - 1, 120_000, `${ROWS - 1} messages after recovery`);
    await eventually(async () => (await h!.outbox()).find((m) => m.to === DEAD)?.status === 'dead', 'the refused mail to be dead', 60_000);
    await drained(h);

    // 0 lost, 0 duplicated: one message per recipient (the dead one aside), each key once.
    const outbox = (await h.outbox()).filter((m) => m.kind === 'credential.issued');
    expect(outbox).toHaveLength(ROWS);
    expect(sink.messages).toHaveLength(ROWS - 1);
    expect([...sink.keyCounts().values()].every((c) => c === 1)).toBe(true);
    expect(new Set(sink.messages.map((m) => m.idempotencyKey))).toEqual(new Set(outbox.filter((m) => m.to !== DEAD).map((m) => m.idempotencyKey)));
    expect(new Set(sink.messages.map((m) => m.envelope.to[0]))).toEqual(new Set(outbox.filter((m) => m.to !== DEAD).map((m) => m.to)));
    for (const m of outbox) {
      if (m.to === DEAD) {
        expect(m).toMatchObject({ status: 'dead', attempts: MAIL_MAX_ATTEMPTS, sentAt: null });
        expect(m.lastError).toMatch(/550 5\.1\.1/);
      } else {
        expect(m.status, m.to).toBe('sent');
        expect(m.attempts).toBe(failures(m.idempotencyKey) + 1);
        expect(m.lastError).toBeNull();
      }
    }
    expect(await h.web.jobs.counts('mail.send@1')).toMatchObject({ queued: 0, running: 0, done: ROWS - 1, dead: 1 });
    expect(attempts().filter((a) => a.key === outbox.find((m) => m.to === DEAD)!.idempotencyKey)).toHaveLength(MAIL_MAX_ATTEMPTS);

    // Back-off: every real wait is at least base·2^(n−1) (capped), and what the queue scheduled is exactly that
    // (plus bookkeeping), doubling from one attempt to the next.
    const byKey = new Map<string, SendAttempt[]>();
    for (const a of attempts()) byKey.set(a.key, [...(byKey.get(a.key) ?? []), a]);
    for (const list of byKey.values()) {
      list
        .slice(1)
        .forEach((a, i) =>
          expect(a.at - list[i]!.endedAt!, `wait after attempt ${i + 1}`).toBeGreaterThanOrEqual(Math.min(retryMaxMs, retryBaseMs * 2 ** i) - 5),
        );
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    const medians: number[] = [];
    for (const n of [1, 2]) {
      const delays = scheduled.get(n) ?? [];
      expect(delays.length, `back-offs seen after attempt ${n}`).toBeGreaterThanOrEqual(n === 1 ? 500 : 50);
      const floor = Math.min(retryMaxMs, retryBaseMs * 2 ** (n - 1));
      for (const d of delays) {
        expect(d, `back-off after attempt ${n}`).toBeGreaterThanOrEqual(floor - 5);
        expect(d, `back-off after attempt ${n}`).toBeLessThanOrEqual(floor + 1_000);
      }
      medians.push(median(delays));
    }
    expect(medians[1]!).toBeGreaterThan(medians[0]! * 1.5);

    for (const wk of workers) await wk.stop();
    // The issuer admin sees the dead letter on the credentials list (search) and on the credential's page, with the error.
    const c = messages('en').credentials;
    const list = await agent.get(`/console/${org.slug}/credentials?lang=en&q=${encodeURIComponent('mort.definitif')}`);
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('class="row-dead"');
    expect(list.body).toContain(escapeHtml(c.mail.dead));
    const awardId = (await h.web.store.awards.list(org.id, { q: 'mort.definitif' }, { limit: 5 }))[0]!.id;
    const detail = await agent.get(`/console/${org.slug}/credentials/${awardId}?lang=en`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain(escapeHtml(c.mail.dead));
    expect(detail.body).toContain(escapeHtml(c.deadHint));
    expect(detail.body).toContain(escapeHtml('550 5.1.1 <mort.definitif@example.org>: mailbox unavailable'));
    // A delivered one is shown as sent.
    const sentId = (await h.web.store.awards.list(org.id, { q: 'eleve1@example.org' }, { limit: 5 }))[0]!.id;
    expect((await agent.get(`/console/${org.slug}/credentials/${sentId}?lang=en`)).body).toContain(escapeHtml(c.mail.sent));
    console.info(
      `[C4 bulk] ${ROWS} rows, outage ${outageMs} ms, ${sink.refusedConnections} refused connections, ` +
        `median scheduled back-off ${medians.map((x) => Math.round(x)).join(' → ')} ms`,
    );
  }, 300_000);
});
