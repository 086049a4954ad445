/**
 * Outbound webhooks, on both databases: console and API management, the secret shown once and stored sealed,
 * events recorded inside the caller's transaction (nothing on rollback), HMAC signatures a receiver can verify,
 * back-off retries driven with a moved clock, dead after 8 attempts (visible and redeliverable in the console),
 * the SSRF guard, and organisation isolation (404 for another organisation's ids, 403 for staff).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MINUTE } from '../../src/domain/shared/clock.js';
import { createGuardedPost, type GuardedPost } from '../../src/crypto/guarded-fetch.js';
import { createMailTransport } from '../../src/mail/sender.js';
import { startWorker } from '../../src/worker/worker.js';
import { deliverWebhook, sweepWebhookDeliveries, verifyWebhookSignature } from '../../src/jobs/webhook-sender.js';
import { type Agent, createTestApp, type TestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import { apiKeyFor, twoOrgsWithKeys } from '../support/factories.js';
import { Receiver } from './receiver.js';
import type { Organization } from '../../src/domain/organizations/model.js';
import { WEBHOOK_MAX_ATTEMPTS, type WebhookEventType, webhookRetryDelayMs } from '../../src/domain/webhooks/model.js';
import { emitOrgEvent } from '../../src/domain/webhooks/emit-event.js';

const SECRET_RE = /<code class="secret">(whsec_[A-Za-z0-9_-]{43})<\/code>/;

async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

for (const dialect of testDialects())
  describe(`${dialect}: webhooks`, () => {
    let t: TestApp, receiver: Receiver, alpha: Organization, beta: Organization, keyA: string, keyB: string, admin: Agent;
    /** The sender as the worker builds it in development/tests (WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true). */
    const openPost: GuardedPost = createGuardedPost({ allowPrivateNetworks: true });
    /** The production default. */
    const guardedPost: GuardedPost = createGuardedPost();

    beforeAll(async () => {
      receiver = await Receiver.start();
      t = await createTestApp({ dialect, config: { webhooks: { allowPrivateNetworks: true } } });
      ({
        orgA: alpha,
        orgB: beta,
        keyA,
        keyB,
      } = await twoOrgsWithKeys(
        t,
        {
          name: 'Alpha',
          slug: 'alpha',
          members: [
            { email: 'admin@alpha.test', role: 'admin' },
            { email: 'staff@alpha.test', role: 'staff' },
          ],
        },
        { name: 'Beta', slug: 'beta', members: [{ email: 'admin@beta.test', role: 'admin' }] },
        { labels: ['A', 'B'] },
      ));
    });
    afterAll(async () => {
      await t?.close();
      await receiver?.close();
    });
    beforeEach(async () => {
      receiver.reset();
      // Tests move the clock by hours: a fresh session each time (sessions end after 12 h).
      admin = t.agent();
      await admin.signIn('admin@alpha.test');
    });

    /** A new admin session (the clock moves by hours; sessions end after 30 idle minutes). */
    async function signInAdmin(): Promise<Agent> {
      admin = t.agent();
      await admin.signIn('admin@alpha.test');
      return admin;
    }
    const store = () => t.container.store;
    const db = () => t.container.handle.db;
    const send = (deliveryId: string, post: GuardedPost = openPost) =>
      deliverWebhook({ store: store(), clock: t.clock, secrets: t.container.deps.secrets, post }, deliveryId);
    const emit = (org: Organization, type: WebhookEventType, data: Record<string, unknown>) =>
      store().transaction((tx) => emitOrgEvent(tx, t.container.deps, { orgId: org.id, type: type, data: data }));
    const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, key = keyA) =>
      t.app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${key}`, 'accept-language': 'en' } });
    const deliveriesOf = async (webhookId: string) =>
      await store().webhooks.listDeliveries((await db().selectFrom('webhooks').select('org_id').where('id', '=', webhookId).executeTakeFirstOrThrow()).org_id, {
        webhookId,
        limit: 100,
      });

    async function addHook(url: string, events: WebhookEventType[], agent = admin, slug = 'alpha') {
      const res = await agent.post(`/console/${slug}/webhooks`, { url, events });
      expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
      const secret = SECRET_RE.exec(res.body)![1]!;
      const org = slug === 'alpha' ? alpha : beta;
      const hook = (await store().webhooks.list(org.id)).find((w) => w.url === new URL(url).toString())!;
      return { secret, id: hook.id };
    }

    /** Removes every webhook of the organisation (tests start from a clean slate). */
    async function clearHooks(org: Organization) {
      for (const w of await store().webhooks.list(org.id)) await store().webhooks.delete(org.id, w.id);
    }

    it('creates a webhook from the console: secret shown once in the response, stored only sealed, audited', async () => {
      await clearHooks(alpha);
      const page = await admin.get('/console/alpha/webhooks');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('href="/console/alpha/webhooks" aria-current="page"');
      for (const type of ['credential.issued', 'credential.claimed', 'credential.revoked', 'job.completed']) expect(page.body).toContain(`value="${type}"`);

      const { secret, id } = await addHook(`${receiver.url}/hooks/sceau`, ['credential.issued', 'credential.revoked']);
      expect(secret).toMatch(/^whsec_/);
      const after = await admin.get('/console/alpha/webhooks');
      expect(after.body).toContain(`${receiver.url}/hooks/sceau`);
      expect(after.body).not.toContain(secret);

      // Never in clear in the database: not in the webhook row, the audit trail, the jobs or anywhere else we write.
      const dump = JSON.stringify(
        await Promise.all(
          ['webhooks', 'webhook_deliveries', 'audit_events', 'jobs', 'mail_outbox'].map((table) =>
            db()
              .selectFrom(table as 'webhooks')
              .selectAll()
              .execute()
              .catch(() => []),
          ),
        ),
      );
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice('whsec_'.length));
      const row = await db().selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(t.container.deps.secrets.open(row.secret_sealed)).toBe(secret);
      expect(JSON.parse(row.events)).toEqual(['credential.issued', 'credential.revoked']);

      // Rotation: a new secret, shown once, the old one replaced.
      const rotated = await admin.post(`/console/alpha/webhooks/${id}/rotate`, {});
      expect(rotated.statusCode).toBe(200);
      const secret2 = SECRET_RE.exec(rotated.body)![1]!;
      expect(secret2).not.toBe(secret);
      const row2 = await db().selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(t.container.deps.secrets.open(row2.secret_sealed)).toBe(secret2);
      expect(row2.secret_sealed).not.toContain(secret2);

      // Form errors re-render with the field and keep what was typed.
      const bad = await admin.post('/console/alpha/webhooks', { url: 'ftp://example.org/x', events: ['credential.issued'] });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('https://');
      expect(bad.body).toContain('value="ftp://example.org/x"');
      const noEvents = await admin.post('/console/alpha/webhooks', { url: 'https://example.org/x' });
      expect(noEvents.statusCode).toBe(400);
      expect(noEvents.body).toContain('Choisissez au moins un événement');

      const deleted = await admin.post(`/console/alpha/webhooks/${id}/delete`, {});
      expect(deleted.statusCode).toBe(303);
      expect(deleted.headers.location).toBe('/console/alpha/webhooks?done=deleted');
      expect(await store().webhooks.list(alpha.id)).toEqual([]);
      const actions = (await store().audit.listForOrg(alpha.id, 100)).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['webhook.created', 'webhook.secret_rotated', 'webhook.deleted']));
    });

    it('signs every delivery so that the receiver can verify it; one event id per event, frozen payload', async () => {
      await clearHooks(alpha);
      const a = await addHook(`${receiver.url}/a`, ['credential.issued']);
      const b = await addHook(`${receiver.url}/b`, ['credential.issued', 'job.completed']);
      await emit(alpha, 'credential.issued', { credentialId: 'urn:uuid:1234', recipient: { name: 'Léa' } });
      await emit(alpha, 'credential.claimed', { credentialId: 'urn:uuid:1234' }); // nobody subscribed: nothing
      const [da] = await deliveriesOf(a.id);
      const [db_] = await deliveriesOf(b.id);
      expect(await deliveriesOf(a.id)).toHaveLength(1);
      expect(da!.eventId).toBe(db_!.eventId);
      expect(da).toMatchObject({ status: 'pending', attempts: 0, eventType: 'credential.issued' });

      t.clock.advance(1_000); // the payload keeps the emit time
      const outcome = await send(da!.id);
      expect(outcome).toMatchObject({ sent: true, status: 'delivered', attempt: 1, statusCode: 200 });
      expect(receiver.requests).toHaveLength(1);
      const req = receiver.requests[0]!;
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/a');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['user-agent']).toBe('Sceau-Webhooks/1');
      expect(req.headers['sceau-event-id']).toBe(da!.eventId);
      expect(req.headers['sceau-event-type']).toBe('credential.issued');
      const body = JSON.parse(req.body);
      expect(body).toEqual({
        id: da!.eventId,
        type: 'credential.issued',
        createdAt: da!.createdAt.toISOString(),
        organization: { slug: 'alpha' },
        data: { credentialId: 'urn:uuid:1234', recipient: { name: 'Léa' } },
      });

      // The receiver's check, written independently of Sceau's code: t=<seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>.
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['sceau-signature']))!;
      expect(m).toBeTruthy();
      expect(Number(m[1])).toBe(Math.floor(t.clock.now().getTime() / 1000));
      expect(m[2]).toBe(createHmac('sha256', a.secret).update(`${m[1]}.${req.body}`).digest('hex'));
      expect(m[2]).not.toBe(createHmac('sha256', b.secret).update(`${m[1]}.${req.body}`).digest('hex'));
      expect(verifyWebhookSignature(a.secret, String(req.headers['sceau-signature']), { body: req.body, nowSeconds: Number(m[1]) })).toBe(true);
      expect(verifyWebhookSignature(a.secret, String(req.headers['sceau-signature']), { body: `${req.body} `, nowSeconds: Number(m[1]) })).toBe(false);
      expect(verifyWebhookSignature(a.secret, String(req.headers['sceau-signature']), { body: req.body, nowSeconds: Number(m[1]) + 3600 })).toBe(false);

      const [row] = await deliveriesOf(a.id);
      expect(row).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
      expect(row!.deliveredAt).toEqual(t.clock.now());
      // Delivered rows are never sent again (a duplicate job does nothing).
      expect(await send(da!.id)).toEqual({ sent: false, reason: 'not-due' });
      expect(receiver.requests).toHaveLength(1);
    });

    it('retries with exponential back-off (1, 2, 4 min…) against a receiver failing 3 times, then delivers', async () => {
      await clearHooks(alpha);
      const hook = await addHook(`${receiver.url}/flaky`, ['credential.revoked']);
      receiver.status = (n) => (n <= 3 ? 503 : 204);
      await emit(alpha, 'credential.revoked', { credentialId: 'urn:uuid:r1', reason: 'error' });
      const [d] = await deliveriesOf(hook.id);
      const eventIds = new Set<string>();
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const before = t.clock.now();
        expect(await send(d!.id)).toMatchObject({ sent: true, status: 'pending', attempt, statusCode: 503 });
        const [row] = await deliveriesOf(hook.id);
        expect(row).toMatchObject({ status: 'pending', attempts: attempt, lastStatusCode: 503, lastError: 'HTTP 503' });
        expect(row!.nextAttemptAt!.getTime() - before.getTime()).toBe(MINUTE * 2 ** (attempt - 1));
        // Not due yet: a job (or the sweeper) finds nothing to do.
        t.clock.advance(MINUTE * 2 ** (attempt - 1) - 1_000);
        expect(await send(d!.id)).toEqual({ sent: false, reason: 'not-due' });
        expect(await sweepWebhookDeliveries({ store: store(), clock: t.clock, jobs: t.container.jobs })).toBe(0);
        t.clock.advance(1_000);
        expect(await sweepWebhookDeliveries({ store: store(), clock: t.clock, jobs: t.container.jobs })).toBe(1);
        eventIds.add(String(receiver.requests.at(-1)!.headers['sceau-event-id']));
      }
      expect(await send(d!.id)).toMatchObject({ sent: true, status: 'delivered', attempt: 4, statusCode: 204 });
      expect(receiver.requests).toHaveLength(4);
      // Every retry is the same event with the same body (receivers deduplicate on Sceau-Event-Id).
      expect(new Set(receiver.requests.map((r) => r.headers['sceau-event-id'])).size).toBe(1);
      expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
      const [row] = await deliveriesOf(hook.id);
      expect(row).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 204, lastError: null });
      expect(webhookRetryDelayMs(1)).toBe(MINUTE);
      expect(webhookRetryDelayMs(7)).toBe(64 * MINUTE);
      expect(webhookRetryDelayMs(20)).toBe(6 * 60 * MINUTE);
    });

    it('gives up after 8 failed attempts: dead, shown in the console log with a redeliver button', async () => {
      await clearHooks(alpha);
      const hook = await addHook(`${receiver.url}/down`, ['job.completed']);
      receiver.status = () => 500;
      await emit(alpha, 'job.completed', { jobId: 'job-1', issued: 48, failed: 2 });
      const [d] = await deliveriesOf(hook.id);
      const waits: number[] = [];
      for (let attempt = 1; attempt <= WEBHOOK_MAX_ATTEMPTS; attempt += 1) {
        const outcome = await send(d!.id);
        expect(outcome).toMatchObject({ sent: true, attempt, statusCode: 500 });
        const [row] = await deliveriesOf(hook.id);
        if (attempt < WEBHOOK_MAX_ATTEMPTS) {
          waits.push((row!.nextAttemptAt!.getTime() - t.clock.now().getTime()) / MINUTE);
          t.clock.set(row!.nextAttemptAt!);
        } else {
          expect(row).toMatchObject({ status: 'dead', attempts: 8, lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: null });
        }
      }
      expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64]);
      expect(receiver.requests).toHaveLength(8);
      t.clock.advance(24 * 60 * MINUTE);
      expect(await send(d!.id)).toEqual({ sent: false, reason: 'not-due' });
      expect(await store().webhooks.listDue(t.clock.now(), 100)).not.toContain(d!.id);

      await signInAdmin();
      const page = await admin.get('/console/alpha/webhooks');
      const rowHtml = new RegExp(`<tr data-delivery="${d!.id}" data-status="dead">([\\s\\S]*?)</tr>`).exec(page.body)![1]!;
      expect(rowHtml).toContain('Abandonné');
      expect(rowHtml).toContain('job.completed');
      expect(rowHtml).toMatch(/<td>8<\/td>\s*<td>500<\/td>\s*<td>HTTP 500<\/td>/);
      expect(rowHtml).toContain(`action="/console/alpha/webhook-deliveries/${d!.id}/redeliver"`);

      const again = await admin.post(`/console/alpha/webhook-deliveries/${d!.id}/redeliver`, {});
      expect(again.statusCode).toBe(303);
      expect(again.headers.location).toBe('/console/alpha/webhooks?done=redelivered');
      const [requeued] = await deliveriesOf(hook.id);
      expect(requeued).toMatchObject({ status: 'pending', attempts: 0 });
      const twice = await admin.post(`/console/alpha/webhook-deliveries/${d!.id}/redeliver`, {});
      expect(twice.statusCode).toBe(409);
      receiver.status = () => 200;
      expect(await send(d!.id)).toMatchObject({ sent: true, status: 'delivered', attempt: 1 });
      expect((await store().audit.listForOrg(alpha.id, 100)).some((e) => e.action === 'webhook.redelivered' && e.targetId === d!.id)).toBe(true);
    });

    it('refuses loopback, private and metadata targets unless private networks are allowed (and metadata always)', async () => {
      await clearHooks(alpha);
      const targets = [`${receiver.url}/ssrf`, 'https://10.1.2.3/hook', 'https://[::1]/hook', 'https://192.168.1.10/hook'];
      // A cloud metadata address is refused when the webhook is created, even with private networks allowed.
      const metadata = await api('POST', '/api/v1/webhooks', { url: 'https://169.254.169.254/latest/meta-data/', events: ['credential.issued'] });
      expect(metadata.statusCode).toBe(400);
      expect(metadata.json()).toMatchObject({ code: 'WEBHOOK_URL_PRIVATE' });
      const ids: string[] = [];
      for (const url of targets) {
        const res = await api('POST', '/api/v1/webhooks', { url, events: ['credential.issued'] });
        // This app allows private networks, so these are created; a stricter guard at delivery time still refuses them.
        expect(res.statusCode, url).toBe(201);
        ids.push(res.json().id);
      }
      await emit(alpha, 'credential.issued', { credentialId: 'urn:uuid:ssrf' });
      for (const id of ids) {
        const [d] = await deliveriesOf(id);
        const outcome = await send(d!.id, guardedPost);
        expect(outcome, targets[ids.indexOf(id)]).toMatchObject({ sent: true, status: 'pending', attempt: 1, statusCode: null });
        expect((outcome as { error: string }).error).toMatch(/^FETCH_BLOCKED_ADDRESS/);
        const [row] = await deliveriesOf(id);
        expect(row!.lastError).toMatch(/^FETCH_BLOCKED_ADDRESS/);
      }
      expect(receiver.requests).toHaveLength(0);
      expect(receiver.connections).toBe(0);

      // Names are resolved once and every address checked before connecting (no DNS rebinding window).
      const viaDns = createGuardedPost({ lookup: async () => [{ address: '10.0.0.7', family: 4 }] });
      await expect(viaDns('https://hooks.internal.example/x', '{}', {})).rejects.toMatchObject({ code: 'FETCH_BLOCKED_ADDRESS' });
      const viaDnsLoopback = createGuardedPost({
        lookup: async () => [
          { address: '93.184.216.34', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ],
      });
      await expect(viaDnsLoopback('https://mixed.example/x', '{}', {})).rejects.toMatchObject({ code: 'FETCH_BLOCKED_ADDRESS' });
      // Plain http is refused without the flag, even towards a public address.
      await expect(guardedPost('http://93.184.216.34/x', '{}', {})).rejects.toMatchObject({ code: 'FETCH_NOT_HTTPS' });
      // With the flag, metadata endpoints stay refused; loopback is reached.
      await expect(openPost('http://169.254.169.254/latest/meta-data/', '{}', {})).rejects.toMatchObject({ code: 'FETCH_BLOCKED_ADDRESS' });
      await expect(openPost(`${receiver.url}/ok`, '{}', {})).resolves.toEqual({ status: 200 });
      // No redirects followed: a 3xx is an answer like any other non-2xx.
      receiver.status = () => 302;
      await expect(openPost(`${receiver.url}/redirect`, '{}', {})).resolves.toEqual({ status: 302 });
      expect(receiver.requests).toHaveLength(2);
      await clearHooks(alpha);
    });

    it('answers 404 to another organisation for every webhook id (pages and API), 403 to staff', async () => {
      await clearHooks(alpha);
      const hook = await addHook(`${receiver.url}/iso`, ['credential.issued']);
      receiver.status = () => 500;
      await emit(alpha, 'credential.issued', { credentialId: 'urn:uuid:iso' });
      const [d] = await deliveriesOf(hook.id);
      for (let i = 0; i < WEBHOOK_MAX_ATTEMPTS; i += 1) {
        await send(d!.id);
        t.clock.advance(6 * 60 * MINUTE);
      }
      expect((await deliveriesOf(hook.id))[0]!.status).toBe('dead');

      await signInAdmin();
      const betaAdmin = t.agent();
      await betaAdmin.signIn('admin@beta.test');
      const random = randomUUID();
      const pairs: [string, string][] = [
        [`/console/beta/webhooks/${hook.id}/delete`, `/console/beta/webhooks/${random}/delete`],
        [`/console/beta/webhooks/${hook.id}/rotate`, `/console/beta/webhooks/${random}/rotate`],
        [`/console/beta/webhook-deliveries/${d!.id}/redeliver`, `/console/beta/webhook-deliveries/${random}/redeliver`],
        [`/console/alpha/webhooks/${hook.id}/delete`, `/console/does-not-exist/webhooks/${hook.id}/delete`],
        [`/console/alpha/webhooks/${hook.id}/rotate`, `/console/does-not-exist/webhooks/${hook.id}/rotate`],
        [`/console/alpha/webhook-deliveries/${d!.id}/redeliver`, `/console/does-not-exist/webhook-deliveries/${d!.id}/redeliver`],
      ];
      for (const [foreign, missing] of pairs) {
        const f = await betaAdmin.post(foreign, {});
        const m = await betaAdmin.post(missing, {});
        expect(f.statusCode, foreign).toBe(404);
        expect(f.body, foreign).toBe(m.body);
      }
      const foreignPage = await betaAdmin.get('/console/alpha/webhooks');
      expect(foreignPage.statusCode).toBe(404);
      expect(foreignPage.body).toBe((await betaAdmin.get('/console/does-not-exist/webhooks')).body);
      expect((await betaAdmin.get('/console/beta/webhooks')).body).not.toContain(hook.id);

      for (const [foreign, missing] of [[`/api/v1/webhooks/${hook.id}`, `/api/v1/webhooks/${random}`]] as const) {
        const f = await api('DELETE', foreign, undefined, keyB);
        const m = await api('DELETE', missing, undefined, keyB);
        expect(f.statusCode).toBe(404);
        expect(f.body).toBe(m.body);
      }
      const fd = await api('GET', `/api/v1/webhooks/${hook.id}/deliveries`, undefined, keyB);
      expect(fd.statusCode).toBe(404);
      expect(fd.body).toBe((await api('GET', `/api/v1/webhooks/${random}/deliveries`, undefined, keyB)).body);
      expect((await api('GET', '/api/v1/webhooks', undefined, keyB)).json().data).toEqual([]);

      // Nothing of org A changed.
      const row = await db().selectFrom('webhooks').selectAll().where('id', '=', hook.id).executeTakeFirstOrThrow();
      expect(t.container.deps.secrets.open(row.secret_sealed)).toBe(hook.secret);
      expect((await deliveriesOf(hook.id))[0]!.status).toBe('dead');

      // Staff of org A: 403 on the page and on every action.
      const staff = t.agent();
      await staff.signIn('staff@alpha.test');
      expect((await staff.get('/console/alpha/webhooks')).statusCode).toBe(403);
      expect((await staff.post('/console/alpha/webhooks', { url: 'https://example.org/h', events: ['credential.issued'] })).statusCode).toBe(403);
      expect((await staff.post(`/console/alpha/webhooks/${hook.id}/rotate`, {})).statusCode).toBe(403);
      expect((await staff.post(`/console/alpha/webhooks/${hook.id}/delete`, {})).statusCode).toBe(403);
      expect((await staff.post(`/console/alpha/webhook-deliveries/${d!.id}/redeliver`, {})).statusCode).toBe(403);
      expect((await staff.get('/console/alpha')).body).not.toContain('/console/alpha/webhooks');
      expect((await admin.get('/console/alpha')).body).toContain('/console/alpha/webhooks');
      expect(await store().webhooks.find(alpha.id, hook.id)).toBeTruthy();
      await clearHooks(alpha);
    });

    it('manages webhooks through the API: secret once, strict bodies, limit of 10, delivery log, delete', async () => {
      const gamma = await t.createOrg({ name: 'Gamma', slug: 'gamma' });
      const keyC = await apiKeyFor(t, gamma, { label: 'C' });
      const created = await api('POST', '/api/v1/webhooks', { url: 'https://hooks.gamma.example/sceau', events: ['job.completed', 'credential.issued'] }, keyC);
      expect(created.statusCode).toBe(201);
      const body = created.json();
      expect(body).toMatchObject({ url: 'https://hooks.gamma.example/sceau', events: ['credential.issued', 'job.completed'], status: 'active' });
      expect(body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      const list = await api('GET', '/api/v1/webhooks', undefined, keyC);
      expect(list.statusCode).toBe(200);
      expect(list.json().data).toEqual([{ id: body.id, url: body.url, events: body.events, status: 'active', createdAt: body.createdAt }]);
      expect(list.body).not.toContain(body.secret);

      const strict = await api('POST', '/api/v1/webhooks', { url: 'https://x.example/', events: ['job.completed'], secret: 'mine' }, keyC);
      expect(strict.statusCode).toBe(400);
      expect(strict.json().code).toBe('VALIDATION_FAILED');
      expect((await api('POST', '/api/v1/webhooks', { url: 'https://x.example/', events: ['credential.deleted'] }, keyC)).statusCode).toBe(400);
      expect((await api('POST', '/api/v1/webhooks', { url: 'https://x.example/', events: [] }, keyC)).statusCode).toBe(400);
      const badUrl = await api('POST', '/api/v1/webhooks', { url: 'http://x.example/', events: ['job.completed'] }, keyC);
      expect(badUrl.statusCode).toBe(400);
      expect(badUrl.json()).toMatchObject({ code: 'URL_INVALID', field: 'url' });

      for (let i = 2; i <= 10; i += 1) {
        expect((await api('POST', '/api/v1/webhooks', { url: `https://hooks.gamma.example/${i}`, events: ['job.completed'] }, keyC)).statusCode).toBe(201);
      }
      const over = await api('POST', '/api/v1/webhooks', { url: 'https://hooks.gamma.example/11', events: ['job.completed'] }, keyC);
      expect(over.statusCode).toBe(409);
      expect(over.json()).toMatchObject({ code: 'WEBHOOK_LIMIT', detail: 'An organisation can have at most 10 webhooks: delete one first.' });

      await emit(gamma, 'job.completed', { jobId: 'j-9' });
      const log = await api('GET', `/api/v1/webhooks/${body.id}/deliveries`, undefined, keyC);
      expect(log.statusCode).toBe(200);
      expect(log.json().data).toEqual([
        expect.objectContaining({ webhookId: body.id, eventType: 'job.completed', status: 'pending', attempts: 0, lastStatusCode: null }),
      ]);

      const del = await api('DELETE', `/api/v1/webhooks/${body.id}`, undefined, keyC);
      expect(del.statusCode).toBe(204);
      expect(del.body).toBe('');
      expect((await api('DELETE', `/api/v1/webhooks/${body.id}`, undefined, keyC)).statusCode).toBe(404);
      expect((await api('GET', `/api/v1/webhooks/${body.id}/deliveries`, undefined, keyC)).statusCode).toBe(404);
      expect(await db().selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', body.id).execute()).toEqual([]);
      expect((await api('POST', '/api/v1/webhooks', { url: 'https://hooks.gamma.example/11', events: ['job.completed'] }, keyC)).statusCode).toBe(201);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/webhooks' })).statusCode).toBe(401);

      const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/webhooks', '/api/v1/webhooks/{id}', '/api/v1/webhooks/{id}/deliveries']));
      expect(doc.paths['/api/v1/webhooks'].post.tags).toEqual(['webhooks']);
    });

    it('records events only with the transaction: nothing after a rollback, enqueued right after a commit', async () => {
      await clearHooks(alpha);
      const hook = await addHook(`${receiver.url}/tx`, ['credential.claimed']);
      const jobsBefore = await t.container.jobs.counts('webhook.deliver@1');
      await expect(
        store().transaction(async (tx) => {
          await emitOrgEvent(tx, t.container.deps, { orgId: alpha.id, type: 'credential.claimed', data: { credentialId: 'urn:uuid:rolled-back' } });
          expect(await tx.webhooks.listDeliveries(alpha.id, { webhookId: hook.id, limit: 10 })).toHaveLength(1);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      await sleep(200);
      expect(await deliveriesOf(hook.id)).toEqual([]);
      expect(await t.container.jobs.counts('webhook.deliver@1')).toEqual(jobsBefore);

      await emit(alpha, 'credential.claimed', { credentialId: 'urn:uuid:committed' });
      const [d] = await deliveriesOf(hook.id);
      expect(d).toMatchObject({ status: 'pending', attempts: 0 });
      await eventually(async () => (await t.container.jobs.counts('webhook.deliver@1')).queued > jobsBefore.queued, 'the delivery job');
      // The sweeper's duplicate is dropped (the delivery id is the singleton key).
      const queued = (await t.container.jobs.counts('webhook.deliver@1')).queued;
      await sweepWebhookDeliveries({ store: store(), clock: t.clock, jobs: t.container.jobs });
      expect((await t.container.jobs.counts('webhook.deliver@1')).queued).toBe(queued);
    });

    it('is delivered end to end by the worker (after-commit enqueue → job → signed POST)', async () => {
      const worker = await startWorker(t.container, createMailTransport({ smtpUrl: undefined }), { webhookPost: openPost });
      try {
        await clearHooks(alpha);
        const hook = await addHook(`${receiver.url}/e2e`, ['credential.issued']);
        // Jobs queued by the earlier tests point at deleted rows: they run and do nothing.
        await emit(alpha, 'credential.issued', { credentialId: 'urn:uuid:e2e' });
        await eventually(async () => receiver.requests.find((r) => r.path === '/e2e'), 'the webhook POST', 30_000);
        const req = receiver.requests.find((r) => r.path === '/e2e')!;
        const sig = String(req.headers['sceau-signature']);
        expect(verifyWebhookSignature(hook.secret, sig, { body: req.body, nowSeconds: Number(/t=(\d+)/.exec(sig)![1]) })).toBe(true);
        await eventually(async () => (await deliveriesOf(hook.id))[0]?.status === 'delivered', 'the delivered row');
        expect(receiver.requests.filter((r) => r.path === '/e2e')).toHaveLength(1);
      } finally {
        await worker.stop();
      }
    });
  });
