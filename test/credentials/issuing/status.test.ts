/**
 * Status lists (W3C Bitstring Status List) and POST /credentials/status, on SQLite and PostgreSQL:
 * T4 (≥ 131,072 entries, random unique indexes, one open list per purpose per key, Cache-Control max-age = ttl),
 * T3 (a revocation is visible at once on Sceau's own lookup and in the served list, which the stock library reads),
 * permanent revocation, reversible suspension, and another organisation's credential answering exactly like a
 * nonexistent one.
 */
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { decodeList } from '@digitalbazaar/vc-bitstring-status-list';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueOpenBadge, issueOpenBadges } from '../../../src/domain/credentials/issue-credentials.js';
import { rotateIssuerKey } from '../../../src/domain/credentials/issuer-identity.js';
import { STATUS_LIST_LENGTH, STATUS_LIST_TTL_SECONDS, allocateStatusEntries, openStatusList } from '../../../src/domain/credentials/status-lists.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { testDialects } from '../../support/db.js';
import { twoOrgsWithKeys } from '../../support/factories.js';
import { badge, errorText, stockLoader, stockVerify } from './support.js';
import type { Organization } from '../../../src/domain/organizations/model.js';

const system = { kind: 'system' } as const;
type Doc = Record<string, any>;

/** Spearman's rank correlation of two samples without ties (indexes are unique). */
export function spearman(x: number[], y: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value);
    const r = new Array<number>(v.length);
    order.forEach((o, k) => (r[o.i] = k));
    return r;
  };
  const rx = rank(x);
  const ry = rank(y);
  const n = x.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (rx[i]! - ry[i]!) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

for (const dialect of testDialects())
  describe(`${dialect}: status lists`, () => {
    let t: TestApp, org: Organization, apiKey: string, otherKey: string;

    beforeAll(async () => {
      t = await createTestApp({ dialect });
      ({
        orgA: org,
        keyA: apiKey,
        keyB: otherKey,
      } = await twoOrgsWithKeys(t, { name: 'Lycée Roux', slug: 'roux' }, { name: 'Autre école', slug: 'autre' }, { label: 'status' }));
    });
    afterAll(async () => {
      await t.close();
    });

    const deps = () => t.container.deps;
    const status = (credentialId: string, value: string, key = apiKey, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/credentials/status',
        payload: { credentialId, credentialStatus: [{ type: 'BitstringStatusListEntry', status: value }] },
        headers: { authorization: `Bearer ${key}`, ...headers },
      });
    const served = async (url: string) => {
      const res = await t.app.inject({ method: 'GET', url: new URL(url).pathname });
      return { res, doc: res.json() as Doc };
    };

    it('publishes each list as a signed BitstringStatusListCredential of ≥ 131,072 entries, Cache-Control max-age = ttl', async () => {
      const doc = JSON.parse((await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge() })).document) as Doc;
      const { res, doc: list } = await served(doc['credentialStatus'].statusListCredential);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe(`public, max-age=${STATUS_LIST_TTL_SECONDS}`);
      // `ttl` is in milliseconds (Bitstring Status List §2.2), max-age in seconds: the same 60 s.
      expect(list['credentialSubject'].ttl).toBe(STATUS_LIST_TTL_SECONDS * 1000);
      expect(Number(/max-age=(\d+)/.exec(String(res.headers['cache-control']))![1]) * 1000).toBe(list['credentialSubject'].ttl);
      expect(list).toMatchObject({
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        id: doc['credentialStatus'].statusListCredential,
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        issuer: doc['issuer'].id,
        credentialSubject: { type: 'BitstringStatusList', statusPurpose: 'revocation' },
      });
      const decoded = await decodeList({ encodedList: list['credentialSubject'].encodedList });
      expect(decoded.length).toBeGreaterThanOrEqual(STATUS_LIST_LENGTH);
      // The list itself verifies with the stock library (issuer = the key's controller).
      const verified = await vc.verifyCredential({ credential: list, suite: new DataIntegrityProof({ cryptosuite }), documentLoader: stockLoader(deps()) });
      expect(verified.verified, JSON.stringify(verified.error?.message)).toBe(true);
      // Served verbatim: the bytes are the stored signed document.
      const row = await t.container.store.statusLists.findById(new URL(doc['credentialStatus'].statusListCredential).pathname.split('/').pop()!);
      expect(res.body).toBe(row!.signedDocument);
      // Unknown lists and other organisations' lists: the same 404.
      const missing = await t.app.inject({ method: 'GET', url: `/orgs/roux/status/${crypto.randomUUID()}` });
      const foreign = await t.app.inject({ method: 'GET', url: new URL(doc['credentialStatus'].statusListCredential).pathname.replace('/roux/', '/autre/') });
      expect([missing.statusCode, foreign.statusCode]).toEqual([404, 404]);
      expect(foreign.body).toBe(missing.body);
    });

    it('allocates indexes at random: unique, uncorrelated with issue order (|Spearman ρ| < 0.05)', async () => {
      const key = (await t.container.store.issuerKeys.current(org.id))!;
      const indexes: number[] = [];
      // 10 × 1,000 consecutive allocations. A truly random allocator gives |ρ| ≥ 0.05 over 1,000 draws about 11 % of
      // the time (sd of ρ ≈ 1/√999 ≈ 0.032), so the bar is checked over all 10,000 (sd ≈ 0.01) and each window of
      // 1,000 against a sequential allocator's ρ ≈ 1 with a wide margin.
      for (let batch = 0; batch < 10; batch++) {
        const allocations = await t.container.store.transaction((tx) => allocateStatusEntries(tx, deps(), { key, count: 1000 }));
        const window = allocations.map((a) => a.index);
        expect(new Set(window).size).toBe(1000);
        expect(
          Math.abs(
            spearman(
              window.map((_, i) => i),
              window,
            ),
          ),
        ).toBeLessThan(0.15);
        indexes.push(...window);
      }
      expect(new Set(indexes).size).toBe(indexes.length);
      const rho = spearman(
        indexes.map((_, i) => i),
        indexes,
      );
      expect(Math.abs(rho)).toBeLessThan(0.05);
      expect(Math.max(...indexes)).toBeLessThan(STATUS_LIST_LENGTH);
      // Spread over the whole list, not a prefix.
      expect(Math.min(...indexes)).toBeLessThan(STATUS_LIST_LENGTH / 100);
      expect(Math.max(...indexes)).toBeGreaterThan(STATUS_LIST_LENGTH * 0.99);
    }, 120_000);

    it("revokes through POST /credentials/status: visible at once in Sceau's lookup and the served list, read by the stock library", async () => {
      const doc = JSON.parse(
        (await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge({ recipient: { email: 'revoke@example.org' } }) })).document,
      ) as Doc;
      expect((await stockVerify(deps(), doc)).verified).toBe(true);
      const res = await status(doc['id'], 'revoked');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ credentialId: doc['id'], status: 'revoked' });
      const index = Number(doc['credentialStatus'].statusListIndex);

      const own = await deps().getOwnStatusList(doc['credentialStatus'].statusListCredential);
      expect((await decodeList({ encodedList: (own as Doc)['credentialSubject'].encodedList })).getStatus(index)).toBe(true);
      const { doc: list } = await served(doc['credentialStatus'].statusListCredential);
      expect((await decodeList({ encodedList: list['credentialSubject'].encodedList })).getStatus(index)).toBe(true);

      // The stock library sees the bit (and, the known trap, still says verified: true: the bit is what counts).
      const stock = await stockVerify(deps(), doc);
      expect(stock.statusResult?.results[0]?.status, errorText(stock)).toBe(true);
      // Revoking again is a no-op; reactivating or suspending is refused: revocation is permanent.
      expect((await status(doc['id'], 'revoked')).statusCode).toBe(200);
      const back = await status(doc['id'], 'active', apiKey, { 'accept-language': 'en' });
      expect(back.statusCode).toBe(409);
      expect(back.json()).toMatchObject({
        code: 'CREDENTIAL_REVOKED_PERMANENT',
        detail: 'This credential is revoked: revocation is permanent, it can be neither reactivated nor suspended.',
      });
      const suspend = await status(doc['id'], 'suspended');
      expect(suspend.json()).toMatchObject({ code: 'CREDENTIAL_REVOKED_PERMANENT', detail: expect.stringContaining('la révocation est définitive') });
      expect((await stockVerify(deps(), doc)).statusResult?.results[0]?.status).toBe(true);
    });

    it('a stale published list is re-signed on read (a change is never served late)', async () => {
      const doc = JSON.parse(
        (await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge({ recipient: { email: 'stale@example.org' } }) })).document,
      ) as Doc;
      const url = doc['credentialStatus'].statusListCredential as string;
      const before = (await served(url)).res.body;
      // Revoke behind the publisher's back (as if the process died between commit and re-signing).
      const [row] = await t.container.store.credentials.findByCredentialId(org.id, doc['id']);
      await t.container.store.transaction(async (tx) => {
        await tx.credentials.setRevoked([row!.id], t.clock.now());
        await tx.statusLists.bumpRevision(row!.statusListId!);
      });
      t.clock.advance(1000);
      const after = await served(url);
      expect(after.res.body).not.toBe(before);
      expect((await decodeList({ encodedList: after.doc['credentialSubject'].encodedList })).getStatus(row!.statusIndex!)).toBe(true);
      expect((await stockVerify(deps(), doc)).statusResult?.results[0]?.status).toBe(true);
    });

    it('suspends and reactivates (reversible, recorded by Sceau; the revocation bit stays 0)', async () => {
      const doc = JSON.parse(
        (await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge({ recipient: { email: 'suspend@example.org' } }) })).document,
      ) as Doc;
      const index = Number(doc['credentialStatus'].statusListIndex);
      expect(await deps().isSuspended(doc['id'])).toBe(false);
      expect((await status(doc['id'], 'suspended')).json()).toEqual({ credentialId: doc['id'], status: 'suspended' });
      expect(await deps().isSuspended(doc['id'])).toBe(true);
      expect(await deps().isSuspended(doc['id'], doc['issuer'].id)).toBe(true);
      expect(await deps().isSuspended(doc['id'], 'did:web:elsewhere.example')).toBe(false);
      const list = await deps().getOwnStatusList(doc['credentialStatus'].statusListCredential);
      expect((await decodeList({ encodedList: (list as Doc)['credentialSubject'].encodedList })).getStatus(index)).toBe(false);
      expect((await status(doc['id'], 'active')).json()).toEqual({ credentialId: doc['id'], status: 'active' });
      expect(await deps().isSuspended(doc['id'])).toBe(false);
      // Suspended, then revoked: revoked (permanent), no longer reported as merely suspended.
      await status(doc['id'], 'suspended');
      expect((await status(doc['id'], 'revoked')).statusCode).toBe(200);
      expect(await deps().isSuspended(doc['id'])).toBe(false);
      expect((await status(doc['id'], 'active')).statusCode).toBe(409);
      expect(await deps().isSuspended('urn:uuid:00000000-0000-4000-8000-000000000000')).toBe(false);
    });

    it("Sceau's verifier sees a revocation and a suspension made through the VC-API at once (own lists and records, no network)", async () => {
      const doc = JSON.parse(
        (await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge({ recipient: { email: 'verifier@example.org' } }) })).document,
      ) as Doc;
      const step = async (id: string) => (await deps().verifier.verifyCredential(doc)).log.find((s) => s.id === id);
      const first = await deps().verifier.verifyCredential(doc);
      expect(first.log.find((s) => s.id === 'valid_signature')?.valid, JSON.stringify(first.errors)).toBe(true);
      expect(first.log.find((s) => s.id === 'revocation_status')?.valid).toBe(true);
      expect(first.verified, JSON.stringify([first.errors, first.warnings])).toBe(true);
      await status(doc['id'], 'suspended');
      const suspended = await deps().verifier.verifyCredential(doc);
      expect(suspended.verified).toBe(false);
      expect(suspended.log.find((s) => s.id === 'suspension_status')?.valid).toBe(false);
      await status(doc['id'], 'active');
      expect((await step('suspension_status'))?.valid).not.toBe(false);
      await status(doc['id'], 'revoked');
      const revoked = await deps().verifier.verifyCredential(doc);
      expect(revoked.verified).toBe(false);
      expect(revoked.log.find((s) => s.id === 'revocation_status')?.valid).toBe(false);
    });

    it("another organisation's credential answers exactly like a nonexistent one, and nothing changes", async () => {
      const doc = JSON.parse(
        (await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge({ recipient: { email: 'idor@example.org' } }) })).document,
      ) as Doc;
      const snapshot = async () => JSON.stringify(await t.container.store.credentials.findByCredentialId(org.id, doc['id']));
      const before = await snapshot();
      for (const value of ['revoked', 'suspended', 'active']) {
        const foreign = await status(doc['id'], value, otherKey);
        const missing = await status(`urn:uuid:${crypto.randomUUID()}`, value, otherKey);
        expect(foreign.statusCode).toBe(404);
        expect([foreign.statusCode, foreign.headers['content-type'], foreign.body]).toEqual([
          missing.statusCode,
          missing.headers['content-type'],
          missing.body,
        ]);
      }
      expect(await snapshot()).toBe(before);
      expect((await status(doc['id'], 'revoked', 'sceau_nope')).statusCode).toBe(401);
      const noAuth = await t.app.inject({
        method: 'POST',
        url: '/credentials/status',
        payload: { credentialId: doc['id'], credentialStatus: [{ type: 'BitstringStatusListEntry', status: 'revoked' }] },
      });
      expect(noAuth.statusCode).toBe(401);
      const badType = await t.app.inject({
        method: 'POST',
        url: '/credentials/status',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: { credentialId: doc['id'], credentialStatus: [{ type: 'StatusList2021Entry', status: 'revoked' }] },
      });
      expect(badType.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await snapshot()).toBe(before);
    });

    it("refuses to revoke a credential issued with the caller's own status list (it could never reach a verifier), but suspends it", async () => {
      const issued = await t.app.inject({
        method: 'POST',
        url: '/credentials/issue',
        headers: { authorization: `Bearer ${apiKey}`, 'accept-language': 'en' },
        payload: {
          credential: {
            '@context': ['https://www.w3.org/ns/credentials/v2'],
            type: ['VerifiableCredential'],
            credentialSubject: { id: 'did:example:holder' },
            credentialStatus: {
              id: 'https://status.example/list#7',
              type: 'BitstringStatusListEntry',
              statusPurpose: 'revocation',
              statusListIndex: '7',
              statusListCredential: 'https://status.example/list',
            },
          },
        },
      });
      expect(issued.statusCode).toBe(201);
      const id = issued.json().verifiableCredential.id as string;
      const res = await status(id, 'revoked', apiKey, { 'accept-language': 'en' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'CREDENTIAL_STATUS_UNMANAGED' });
      expect((await t.container.store.credentials.findByCredentialId(org.id, id))[0]!.revokedAt).toBeNull();
      expect((await status(id, 'suspended')).statusCode).toBe(200);
    });

    it('keeps one open list per purpose per key, opens a new list when one fills, and a rotated key keeps its lists', async () => {
      const small = await createTestApp({ dialect, clock: t.clock, config: {} });
      try {
        const d = { ...small.container.deps, statusListConfig: { capacity: 3 } };
        const o = await small.createOrg({ name: 'Petite école', slug: 'petite' });
        const docs = (
          await issueOpenBadges(d, system, {
            slug: o.slug,
            badges: Array.from({ length: 7 }, (_, i) => badge({ recipient: { email: `fill${i}@example.org` } })),
          })
        ).map((r) => JSON.parse(r.document) as Doc);
        const lists = await small.container.store.statusLists.listForOrg(o.id);
        expect(lists.map((l) => [l.allocated, l.fullAt !== null, l.length]).sort()).toEqual([
          [1, false, STATUS_LIST_LENGTH],
          [3, true, STATUS_LIST_LENGTH],
          [3, true, STATUS_LIST_LENGTH],
        ]);
        expect(new Set(docs.map((x) => x['credentialStatus'].statusListCredential)).size).toBe(3);
        expect(lists.filter((l) => l.fullAt === null)).toHaveLength(1);
        for (const x of docs) expect((await stockVerify(d, x)).verified, x['id']).toBe(true);

        // Concurrent issuance (a real race on PostgreSQL): unique entries, no list over capacity, one open list.
        const racer = await small.createOrg({ name: 'Course', slug: 'course' });
        const raced = await Promise.all(
          Array.from({ length: 12 }, (_, i) => issueOpenBadge(d, system, { slug: racer.slug, badge: badge({ recipient: { email: `race${i}@example.org` } }) })),
        );
        const entries = raced.map((r) => `${r.credential.statusListId}#${r.credential.statusIndex}`);
        expect(new Set(entries).size).toBe(12);
        const racedLists = await small.container.store.statusLists.listForOrg(racer.id);
        expect(racedLists.every((l) => l.allocated <= 3)).toBe(true);
        expect(racedLists.reduce((n, l) => n + l.allocated, 0)).toBe(12);
        expect(racedLists.filter((l) => l.fullAt === null).length).toBeLessThanOrEqual(1);

        // Rotation: the new key gets its own list; the old key's lists are still served, signed by the old key.
        const { previous, current } = await rotateIssuerKey(d, system, { slug: o.slug });
        const after = JSON.parse((await issueOpenBadge(d, system, { slug: o.slug, badge: badge() })).document) as Doc;
        const open = await openStatusList(d, o);
        expect(open!.keyId).toBe(current.id);
        expect(after['credentialStatus'].statusListCredential).toContain(open!.id);
        const oldList = await small.container.store.statusLists.findById(lists.find((l) => l.fullAt !== null)!.id);
        expect(oldList!.keyId).toBe(previous.id);
        const all = await small.container.store.statusLists.listForOrg(o.id);
        expect(
          all
            .filter((l) => l.fullAt === null)
            .map((l) => l.keyId)
            .sort(),
        ).toEqual([previous.id, current.id].sort());
        const res = await small.app.inject({ method: 'GET', url: new URL(docs[0]!['credentialStatus'].statusListCredential).pathname });
        expect((res.json() as Doc)['proof'].verificationMethod).toContain(previous.publicKeyMultibase);
        for (const x of [docs[0]!, after]) expect((await stockVerify(d, x)).verified).toBe(true);
      } finally {
        await small.close();
      }
    });
  });
