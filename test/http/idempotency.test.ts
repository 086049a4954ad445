/** `Idempotency-Key` on POSTs of /api/v1, through the real invitation route, on SQLite and PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR, MINUTE } from '../../src/domain/shared/clock.js';
import { IDEMPOTENCY_PENDING_LEASE_MS, IDEMPOTENCY_TTL_MS, canonicalJson, fingerprintOf, parseIdempotencyKey } from '../../src/http/plugins/idempotency.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import { twoOrgsWithKeys } from '../support/factories.js';
import type { Organization } from '../../src/domain/organizations/model.js';

const URL_INVITE = '/api/v1/organization/invitations';

describe('idempotency helpers', () => {
  it('accepts 1–255 visible ASCII characters, unquotes an RFC 8941 string, refuses the rest', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('"abc"')).toBe('abc');
    expect(parseIdempotencyKey('x'.repeat(255))).toHaveLength(255);
    for (const bad of ['', ' ', 'a b', 'x'.repeat(256), 'clé', 'tab\there', '""', '"a"b"', ['a', 'b']]) {
      expect(() => parseIdempotencyKey(bad), JSON.stringify(bad)).toThrow('IDEMPOTENCY_KEY_INVALID');
    }
  });

  it('fingerprints bodies independently of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson({ a: undefined, b: 'é' })).toBe('{"b":"é"}');
  });
});

for (const dialect of testDialects())
  describe(`${dialect}: Idempotency-Key`, () => {
    let t: TestApp, org: Organization, key: string, otherKey: string;
    beforeAll(async () => {
      t = await createTestApp({ dialect });
      ({
        orgA: org,
        keyA: key,
        keyB: otherKey,
      } = await twoOrgsWithKeys(t, { name: 'Centre Idem', slug: 'idem' }, { name: 'Autre centre', slug: 'autre' }, { label: 'SIS' }));
    });
    afterAll(async () => {
      await t.close();
    });

    const post = (payload: unknown, idem?: string, apiKey = key, url = URL_INVITE) =>
      t.app.inject({
        method: 'POST',
        url,
        payload: payload as object,
        headers: { authorization: `Bearer ${apiKey}`, 'accept-language': 'en', ...(idem === undefined ? {} : { 'idempotency-key': idem }) },
      });
    const invitationsTo = async (email: string) =>
      (await t.container.handle.db.selectFrom('invitations').select('id').where('email', '=', email).execute()).length;
    const mailsTo = async (email: string) => (await t.mails()).filter((m) => m.to === email).length;
    const row = (orgId: string, k: string) =>
      t.container.handle.db.selectFrom('idempotency_keys').selectAll().where('org_id', '=', orgId).where('key', '=', k).executeTakeFirst();

    it('runs the request once and replays the same status and bytes with Idempotent-Replayed', async () => {
      const body = { email: 'once@example.org', role: 'staff', locale: 'en' };
      const first = await post(body, 'key-once-1');
      expect(first.statusCode).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      // Same body with its keys in another order: same request.
      const second = await post({ locale: 'en', role: 'staff', email: 'once@example.org' }, 'key-once-1');
      expect(second.statusCode).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toBe(first.body);
      expect(second.headers['content-type']).toBe(first.headers['content-type']);
      expect(await invitationsTo('once@example.org')).toBe(1);
      expect(await mailsTo('once@example.org')).toBe(1);

      // Stored done, with the response body sealed (a response may carry a secret shown once).
      const stored = (await row(org.id, 'key-once-1'))!;
      expect(stored).toMatchObject({ state: 'done', response_status: 201 });
      expect(stored.response_body).not.toContain('once@example.org');
      expect(new Date(stored.expires_at).getTime() - new Date(stored.created_at).getTime()).toBe(IDEMPOTENCY_TTL_MS);
    });

    it('refuses the same key with another body or path (422), and lets another organisation use the same key', async () => {
      const body = { email: 'reuse@example.org', role: 'staff' };
      expect((await post(body, 'key-reuse')).statusCode).toBe(201);
      const other = await post({ ...body, role: 'admin' }, 'key-reuse');
      expect(other.statusCode).toBe(422);
      expect(other.headers['content-type']).toContain('application/problem+json');
      expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422, detail: expect.stringContaining('new key') });
      const otherPath = await post(body, 'key-reuse', key, `${URL_INVITE}?x=1`);
      expect(otherPath.statusCode).toBe(422);

      const foreign = await post(body, 'key-reuse', otherKey);
      expect(foreign.statusCode).toBe(201);
      expect(foreign.headers['idempotent-replayed']).toBeUndefined();
      expect(await invitationsTo('reuse@example.org')).toBe(2); // one per organisation
      expect(await mailsTo('reuse@example.org')).toBe(2);
    });

    it('lets one of two concurrent identical requests run; the other waits its turn (409) or replays', async () => {
      const body = { email: 'race@example.org', role: 'reviewer' };
      const results = await Promise.all([post(body, 'key-race'), post(body, 'key-race'), post(body, 'key-race')]);
      for (const r of results) {
        expect([201, 409]).toContain(r.statusCode);
        if (r.statusCode === 409) expect(r.json().code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
      }
      expect(results.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
      expect(await invitationsTo('race@example.org')).toBe(1);
      expect(await mailsTo('race@example.org')).toBe(1);
      const after = await post(body, 'key-race');
      expect(after.statusCode).toBe(201);
      expect(after.headers['idempotent-replayed']).toBe('true');
    });

    it('answers 409 while the first request is still pending, and lets a retry take over a claim whose request died', async () => {
      const body = { email: 'stuck@example.org', role: 'staff' };
      const now = t.clock.now();
      // A request that claimed the key and then died (process killed): no release ever happened.
      await t.container.store.idempotencyKeys.claim(
        {
          orgId: org.id,
          key: 'key-stuck',
          fingerprint: fingerprintOf(t.container.deps.secrets, 'POST', { url: URL_INVITE, body }),
          createdAt: now,
          expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
        },
        new Date(now.getTime() - IDEMPOTENCY_PENDING_LEASE_MS),
      );
      const busy = await post(body, 'key-stuck');
      expect(busy.statusCode).toBe(409);
      expect(busy.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_PROGRESS', field: 'idempotency-key' });
      expect(await invitationsTo('stuck@example.org')).toBe(0);
      t.clock.advance(IDEMPOTENCY_PENDING_LEASE_MS + 1000);
      const retried = await post(body, 'key-stuck');
      expect(retried.statusCode).toBe(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(await invitationsTo('stuck@example.org')).toBe(1);
    });

    it('remembers 4xx answers (schema and domain validation) and replays them', async () => {
      const schemaBad = { email: 'x@example.org', role: 'boss' };
      const first = await post(schemaBad, 'key-400-schema');
      expect(first.statusCode).toBe(400);
      expect(first.json().code).toBe('VALIDATION_FAILED');
      const again = await post(schemaBad, 'key-400-schema');
      expect(again.statusCode).toBe(400);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toBe(first.body);
      expect(again.headers['content-type']).toBe(first.headers['content-type']);

      const domainBad = { email: 'not-an-email', role: 'staff' };
      const d1 = await post(domainBad, 'key-400-domain');
      expect(d1.json().code).toBe('EMAIL_INVALID');
      const d2 = await post(domainBad, 'key-400-domain');
      expect(d2.statusCode).toBe(400);
      expect(d2.headers['idempotent-replayed']).toBe('true');
      expect(d2.body).toBe(d1.body);
    });

    it('frees the key after a 5xx so the client may retry with it', async () => {
      const body = { email: 'crash@example.org', role: 'staff' };
      const store = t.container.deps.store;
      const transaction = store.transaction;
      store.transaction = async () => {
        throw new Error('database went away');
      };
      try {
        const crashed = await post(body, 'key-crash');
        expect(crashed.statusCode).toBe(500);
        expect(crashed.json().code).toBe('INTERNAL');
      } finally {
        store.transaction = transaction;
      }
      expect(await row(org.id, 'key-crash')).toBeUndefined();
      const retried = await post(body, 'key-crash');
      expect(retried.statusCode).toBe(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(await invitationsTo('crash@example.org')).toBe(1);
    });

    it('forgets keys after 24 hours (an expired key starts afresh) and purges expired rows', async () => {
      const body = { email: 'later@example.org', role: 'staff' };
      expect((await post(body, 'key-expiry')).statusCode).toBe(201);
      t.clock.advance(IDEMPOTENCY_TTL_MS - MINUTE);
      expect((await post(body, 'key-expiry')).headers['idempotent-replayed']).toBe('true');
      t.clock.advance(2 * MINUTE);
      const fresh = await post({ ...body, role: 'reviewer' }, 'key-expiry');
      expect(fresh.statusCode).toBe(201);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(fresh.json().role).toBe('reviewer');

      t.clock.advance(IDEMPOTENCY_TTL_MS + HOUR);
      const purged = await t.container.store.idempotencyKeys.purgeExpired(t.clock.now());
      expect(purged).toBeGreaterThan(0);
      expect(await t.container.handle.db.selectFrom('idempotency_keys').select('key').execute()).toEqual([]);
    });

    it('changes nothing without the header, and refuses a malformed key with a localised 400', async () => {
      const body = { email: 'nokey@example.org', role: 'staff' };
      const a = await post(body);
      const b = await post(body);
      expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(await invitationsTo('nokey@example.org')).toBe(2);

      for (const bad of ['', 'has space', 'x'.repeat(256)]) {
        const res = await post({ email: 'badkey@example.org', role: 'staff' }, bad);
        expect(res.statusCode, JSON.stringify(bad)).toBe(400);
        expect(res.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_INVALID', field: 'idempotency-key' });
        expect(res.json().detail).toBe('The Idempotency-Key header must be 1 to 255 visible ASCII characters.');
      }
      const fr = await t.app.inject({
        method: 'POST',
        url: URL_INVITE,
        payload: { email: 'badkey@example.org', role: 'staff' },
        headers: { authorization: `Bearer ${key}`, 'accept-language': 'fr', 'idempotency-key': 'a b' },
      });
      expect(fr.json().detail).toContain('caractères ASCII visibles');
      expect(await invitationsTo('badkey@example.org')).toBe(0);
      // Authentication still comes first: no key is looked at for an unauthenticated request.
      const anon = await t.app.inject({ method: 'POST', url: URL_INVITE, payload: body, headers: { 'idempotency-key': 'a b' } });
      expect(anon.json().code).toBe('AUTH_REQUIRED');
    });

    it('documents the optional header and the 409/422 answers on every POST of /api/v1', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
      const posts = Object.entries(doc.paths as Record<string, Record<string, any>>).filter(([p, ops]) => p.startsWith('/api/v1/') && ops['post']);
      expect(posts.length).toBeGreaterThan(0);
      for (const [p, ops] of posts) {
        const param = (ops['post'].parameters ?? []).find((x: { in: string; name: string }) => x.in === 'header' && x.name === 'idempotency-key');
        expect(param, p).toBeTruthy();
        expect(param.required ?? false, p).toBe(false);
        expect(Object.keys(ops['post'].responses), p).toEqual(expect.arrayContaining(['409', '422']));
      }
      for (const [, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        const get = ops['get'];
        if (get) expect((get.parameters ?? []).some((x: { name: string }) => x.name === 'idempotency-key')).toBe(false);
      }
    });
  });
