/**
 * The issuing repositories' contract on SQLite and PostgreSQL: the uniqueness rules the use cases rely on
 * (one current key per organisation, one open list per key and purpose, one reservation per index), capacity,
 * and a signed list that never goes back to an older revision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusList, IssuerKey } from '../../../src/domain/credentials/model.js';
import type { Store } from '../../../src/domain/shared/store.js';
import { createSecrets } from '../../../src/crypto/secrets.js';
import { renderMail } from '../../../src/mail/render.js';
import { createStore } from '../../../src/store/store.js';
import { createTestDb, type TestDb, testDialects } from '../../support/db.js';
import type { Organization } from '../../../src/domain/organizations/model.js';

for (const dialect of testDialects())
  describe(`${dialect}: issuing repositories`, () => {
    let db: TestDb, store: Store;
    const secrets = createSecrets(Buffer.alloc(32, 3));
    const now = new Date('2026-02-01T10:00:00.000Z');
    const org: Organization = {
      id: secrets.newId(),
      slug: 'repo',
      name: 'Repo',
      logoUrl: null,
      languages: ['fr'],
      parentId: null,
      createdAt: now,
      timeZone: 'Europe/Paris',
    };
    const key = (over: Partial<IssuerKey> = {}): IssuerKey => ({
      id: secrets.newId(),
      orgId: org.id,
      publicKeyMultibase: `z6Mk${secrets.newToken().slice(0, 20)}`,
      secretKeySealed: 'v1.x',
      createdAt: now,
      retiredAt: null,
      ...over,
    });
    const list = (keyId: string, over: Partial<StatusList> = {}): StatusList => ({
      id: secrets.newPublicId(),
      orgId: org.id,
      keyId,
      purpose: 'revocation',
      length: 131_072,
      capacity: 2,
      allocated: 0,
      revision: 0,
      signedRevision: -1,
      signedDocument: null,
      signedAt: null,
      createdAt: now,
      fullAt: null,
      ...over,
    });

    beforeAll(async () => {
      db = await createTestDb(dialect);
      store = createStore(db.db, { secrets, render: renderMail, now: () => now, onMailQueued: () => undefined });
      await store.organizations.create(org);
    });
    afterAll(async () => {
      await db.cleanup();
    });

    it('keeps one current key per organisation; retiring makes room; lists every key', async () => {
      expect(await store.issuerKeys.orgIdsWithoutKey()).toEqual([org.id]);
      const first = key();
      expect(await store.issuerKeys.create(first)).toBe(true);
      expect(await store.issuerKeys.create(key())).toBe(false);
      expect(await store.issuerKeys.orgIdsWithoutKey()).toEqual([]);
      expect(await store.issuerKeys.retire(first.id, now)).toBe(true);
      expect(await store.issuerKeys.retire(first.id, now)).toBe(false);
      const second = key({ createdAt: new Date(now.getTime() + 1000) });
      expect(await store.issuerKeys.create(second)).toBe(true);
      expect((await store.issuerKeys.current(org.id))?.id).toBe(second.id);
      expect((await store.issuerKeys.list(org.id)).map((k) => [k.id, k.retiredAt !== null])).toEqual([
        [first.id, true],
        [second.id, false],
      ]);
    });

    it('keeps one open list per key and purpose, reserves each index once, and fills at capacity', async () => {
      const k = (await store.issuerKeys.current(org.id))!;
      const a = list(k.id);
      expect(await store.statusLists.create(a)).toBe(true);
      expect(await store.statusLists.create(list(k.id))).toBe(false);
      expect(await store.statusLists.reserve(a.id, 42, now)).toBe(true);
      expect(await store.statusLists.reserve(a.id, 42, now)).toBe(false);
      expect(await store.statusLists.reserve(a.id, 131_071, now)).toBe(true);
      expect((await store.statusLists.reservedIndexes(a.id)).sort((x, y) => x - y)).toEqual([42, 131_071]);
      expect(await store.statusLists.claimAllocations(a.id, 1, now)).toBe(true);
      expect((await store.statusLists.findOpen(k.id, 'revocation'))?.allocated).toBe(1);
      expect(await store.statusLists.claimAllocations(a.id, 2, now)).toBe(false);
      expect(await store.statusLists.claimAllocations(a.id, 1, now)).toBe(true);
      expect(await store.statusLists.findOpen(k.id, 'revocation')).toBeUndefined();
      expect(await store.statusLists.claimAllocations(a.id, 0, now)).toBe(false);
      expect(await store.statusLists.findById(a.id)).toMatchObject({ allocated: 2, fullAt: now });
      // The full list no longer blocks a new open one.
      expect(await store.statusLists.create(list(k.id))).toBe(true);
    });

    it('stores a signed list only for a newer revision', async () => {
      const k = (await store.issuerKeys.current(org.id))!;
      const open = (await store.statusLists.findOpen(k.id, 'revocation'))!;
      await store.statusLists.bumpRevision(open.id);
      await store.statusLists.bumpRevision(open.id);
      await store.statusLists.saveSigned(open.id, 2, 'rev-2', now);
      await store.statusLists.saveSigned(open.id, 1, 'rev-1', now);
      expect(await store.statusLists.findById(open.id)).toMatchObject({ revision: 2, signedRevision: 2, signedDocument: 'rev-2' });
    });
  });
