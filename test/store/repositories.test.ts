/**
 * One repository contract suite, run on every dialect (Kysely's matrix pattern): the same migrations and the
 * same repositories must behave identically on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecrets } from '../../src/crypto/secrets.js';
import type { Repositories, Store } from '../../src/domain/shared/store.js';
import { renderMail } from '../../src/mail/render.js';
import { createStore } from '../../src/store/store.js';
import { createTestDb, testDialects, type TestDb } from '../support/db.js';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

for (const dialect of testDialects()) {
  describe(`${dialect}: repositories`, () => {
    let db: TestDb, store: Store;
    const secrets = createSecrets(Buffer.alloc(32, 3));
    const announced: string[] = [];
    beforeAll(async () => {
      db = await createTestDb(dialect);
      store = createStore(db.db, { secrets, render: renderMail, now: () => T0, onMailQueued: (id) => void announced.push(id) });
    });
    afterAll(async () => {
      await db.cleanup();
    });

    async function seedUser(repos: Repositories, email: string, opts: { verified?: boolean; admin?: boolean } = {}) {
      const id = secrets.newId();
      await repos.users.create({ id, displayName: `Name ${email}`, locale: 'fr', passwordHash: '$argon2id$x', isPlatformAdmin: opts.admin, createdAt: T0 });
      await repos.users.addEmail({ id: secrets.newId(), userId: id, email, isPrimary: true, verifiedAt: opts.verified === false ? null : T0, createdAt: T0 });
      return id;
    }

    it('maps users, booleans, dates and several e-mails per account', async () => {
      const id = await seedUser(store, 'ada@example.org', { admin: true });
      await store.users.addEmail({ id: secrets.newId(), userId: id, email: 'ada.perso@example.org', isPrimary: false, verifiedAt: null, createdAt: at(1) });
      const found = await store.users.findByEmail('ada.perso@example.org');
      expect(found?.user).toMatchObject({ id, displayName: 'Name ada@example.org', isPlatformAdmin: true, locale: 'fr' });
      expect(found?.user.createdAt).toEqual(T0);
      expect(found?.email.verifiedAt).toBeNull();
      expect(found?.email.isPrimary).toBe(false);
      const emails = await store.users.listEmails(id);
      expect(emails.map((e) => [e.email, e.isPrimary])).toEqual([
        ['ada@example.org', true],
        ['ada.perso@example.org', false],
      ]);
      await store.users.setPrimaryEmail(id, emails[1]!.id);
      expect(await store.users.primaryEmail(id)).toBe('ada.perso@example.org');
      await expect(
        store.users.addEmail({ id: secrets.newId(), userId: id, email: 'ada@example.org', isPrimary: false, verifiedAt: null, createdAt: T0 }),
      ).rejects.toThrow();
      await store.users.update(id, { displayName: 'Ada L.', isPlatformAdmin: false });
      expect(await store.users.findById(id)).toMatchObject({ displayName: 'Ada L.', isPlatformAdmin: false });
    });

    it('rolls a transaction back entirely, including queued mail announcements', async () => {
      const before = announced.length;
      await expect(
        store.transaction(async (tx) => {
          await seedUser(tx, 'rollback@example.org');
          await tx.outbox.add({ kind: 'password.changed', to: 'rollback@example.org', locale: 'fr', params: { name: 'R' } });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.users.findByEmail('rollback@example.org')).toBeUndefined();
      expect(announced.length).toBe(before);
      const id = await store.transaction(async (tx) => tx.outbox.add({ kind: 'password.changed', to: 'ok@example.org', locale: 'en', params: { name: 'Ok' } }));
      expect(announced.at(-1)).toBe(id);
    });

    it('seals outbox bodies and reads them back; delivery states and stale sweep', async () => {
      const id = await store.outbox.add({
        kind: 'password.reset',
        to: 'bob@example.org',
        locale: 'fr',
        params: { name: 'Bob', resetUrl: 'https://sceau.test/password/reset?token=SECRET-TOKEN' },
      });
      const raw = await db.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(raw.body_enc).not.toContain('SECRET-TOKEN');
      expect(raw.subject).not.toContain('SECRET-TOKEN');
      const body = await store.outbox.readBody(id);
      expect(body?.text).toContain('SECRET-TOKEN');
      expect(await store.outbox.listStaleQueued(at(1), 100)).toContain(id);
      await store.outbox.recordAttempt(id, 'connection refused', false);
      expect(await store.outbox.findById(id)).toMatchObject({ status: 'queued', attempts: 1, lastError: 'connection refused' });
      await store.outbox.markDelivered(id, 'sent', at(2));
      expect(await store.outbox.findById(id)).toMatchObject({ status: 'sent', attempts: 2, lastError: null, sentAt: at(2) });
      expect(await store.outbox.listStaleQueued(at(10), 100)).not.toContain(id);
    });

    it('consumes codes, reset links and invitations exactly once, atomically', async () => {
      const userId = await seedUser(store, 'once@example.org');
      await store.codes.create({
        id: 'flow-1',
        purpose: 'signup',
        email: 'once@example.org',
        userId: null,
        codeHash: 'h',
        payload: { a: 1 },
        expiresAt: at(10),
        createdAt: T0,
      });
      expect(await Promise.all([1, 2, 3].map(() => store.codes.recordFailure('flow-1', 2)))).toEqual(expect.arrayContaining([1, 2, undefined]));
      expect((await store.codes.findById('flow-1'))?.payload).toEqual({ a: 1 });
      const consumed = await Promise.all([1, 2, 3, 4].map(() => store.codes.consume('flow-1', at(1))));
      expect(consumed.filter(Boolean)).toHaveLength(1);

      await store.passwordResets.create({ tokenHash: 'r1', userId, expiresAt: at(30), createdAt: T0 });
      expect(await store.passwordResets.consume('r1', at(31))).toBeUndefined();
      await store.passwordResets.create({ tokenHash: 'r2', userId, expiresAt: at(30), createdAt: T0 });
      const uses = await Promise.all([1, 2, 3, 4, 5].map(() => store.passwordResets.consume('r2', at(1))));
      expect(uses.filter((u) => u === userId)).toHaveLength(1);
    });

    it('takes throttle budget atomically and renews the window', async () => {
      const takes = await Promise.all(Array.from({ length: 25 }, () => store.throttles.take('k', 10, 3_600_000, T0)));
      expect(takes.filter(Boolean)).toHaveLength(10);
      expect(await store.throttles.take('k', 10, 3_600_000, at(59))).toBe(false);
      expect(await store.throttles.take('k', 10, 3_600_000, at(61))).toBe(true);
      await store.throttles.put({ key: 'login', failures: 6, windowStartedAt: T0, blockedUntil: at(1) });
      expect(await store.throttles.get('login')).toEqual({ key: 'login', failures: 6, windowStartedAt: T0, blockedUntil: at(1) });
      await store.throttles.clear('login');
      expect(await store.throttles.get('login')).toBeUndefined();
    });

    it('scopes organisations, memberships, invitations and API keys to their organisation', async () => {
      const orgA = {
        id: secrets.newId(),
        slug: 'org-a',
        name: 'A',
        logoUrl: null,
        languages: ['fr' as const, 'en' as const],
        parentId: null,
        createdAt: T0,
        timeZone: 'Europe/Paris',
      };
      const orgB = { ...orgA, id: secrets.newId(), slug: 'org-b', name: 'B', parentId: orgA.id };
      await store.organizations.create(orgA);
      await store.organizations.create(orgB);
      expect(await store.organizations.findBySlug('org-b')).toEqual(orgB);
      expect((await store.organizations.listChildren(orgA.id)).map((o) => o.slug)).toEqual(['org-b']);
      const u = await seedUser(store, 'member@example.org');
      await store.memberships.add({ orgId: orgA.id, userId: u, role: 'admin', createdAt: T0 });
      expect(await store.memberships.find(orgB.id, u)).toBeUndefined();
      expect(await store.memberships.countAdmins(orgA.id)).toBe(1);
      expect((await store.memberships.list(orgA.id))[0]).toMatchObject({ userId: u, email: 'member@example.org', role: 'admin' });
      expect((await store.organizations.listForUser(u)).map((x) => [x.org.slug, x.role])).toEqual([['org-a', 'admin']]);

      const inv = {
        id: secrets.newId(),
        orgId: orgA.id,
        email: 'x@example.org',
        role: 'staff' as const,
        locale: 'fr' as const,
        tokenHash: 'th',
        invitedBy: u,
        expiresAt: at(60),
        acceptedAt: null,
        revokedAt: null,
        createdAt: T0,
      };
      await store.invitations.create(inv);
      expect(await store.invitations.revoke(orgB.id, inv.id, at(1))).toBe(false);
      expect((await store.invitations.listPending(orgA.id, at(1))).map((i) => i.id)).toEqual([inv.id]);
      expect((await Promise.all([1, 2, 3].map(() => store.invitations.accept(inv.id, at(2))))).filter(Boolean)).toHaveLength(1);
      expect(await store.invitations.listPending(orgA.id, at(3))).toEqual([]);

      const key = { id: secrets.newId(), orgId: orgA.id, label: 'k', prefix: 'sceau_abcdef', createdBy: u, createdAt: T0, lastUsedAt: null, revokedAt: null };
      await store.apiKeys.create({ ...key, keyHash: 'kh' });
      expect(await store.apiKeys.revoke(orgB.id, key.id, at(1))).toBe(false);
      expect(await store.apiKeys.findByHash('kh')).toEqual(key);
      await store.apiKeys.touch(key.id, at(5));
      expect(await store.apiKeys.revoke(orgA.id, key.id, at(6))).toBe(true);
      expect(await store.apiKeys.findByHash('kh')).toMatchObject({ lastUsedAt: at(5), revokedAt: at(6) });
    });

    it('ends sessions by user, keeping the current one when asked', async () => {
      const u = await seedUser(store, 'sess@example.org');
      for (const h of ['s1', 's2', 's3']) {
        await store.sessions.create({ idHash: h, userId: u, createdAt: T0, lastSeenAt: T0, expiresAt: at(720), reauthenticatedAt: T0 });
      }
      expect(await store.sessions.deleteForUser(u, 's2')).toBe(2);
      expect(await store.sessions.findByHash('s1')).toBeUndefined();
      expect(await store.sessions.findByHash('s2')).toMatchObject({ userId: u, expiresAt: at(720) });
    });

    it('lists audit events newest first per organisation', async () => {
      for (let i = 0; i < 3; i++) {
        await store.audit.record({
          id: secrets.newId(),
          at: at(i),
          orgId: 'o1',
          actorUserId: null,
          actorApiKeyId: null,
          action: `a${i}`,
          targetType: null,
          targetId: null,
          ip: null,
          requestId: null,
          details: { i },
        });
      }
      const events = await store.audit.listForOrg('o1', 2);
      expect(events.map((e) => e.action)).toEqual(['a2', 'a1']);
      expect(events[0]!.details).toEqual({ i: 2 });
    });
  });
}
