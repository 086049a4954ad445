/**
 * Issuing Open Badges 3.0 credentials: the organisation's issuer key (sealed), the credential's exact shape, the
 * OB 3.0 JSON schema, the STOCK @digitalbazaar/vc verifier, verbatim storage, the OB VC-JWT, and the VC-API
 * `POST /credentials/issue` with an organisation API key. On SQLite and PostgreSQL.
 */
import crypto from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePublicKey, publicKeyOf } from '../../../src/crypto/multikey.js';
import { issuerDid } from '../../../src/domain/credentials/issuer-identity.js';
import { OB_SCHEMA_URL, issueOpenBadge, issueOpenBadges } from '../../../src/domain/credentials/issue-credentials.js';
import { STATUS_LIST_LENGTH } from '../../../src/domain/credentials/status-lists.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { testDialects } from '../../support/db.js';
import { apiKeyFor } from '../../support/factories.js';
import { badge, errorText, schemaErrors, stockVerify } from './support.js';
import type { Organization } from '../../../src/domain/organizations/model.js';

const system = { kind: 'system' } as const;
type Doc = Record<string, any>;

for (const dialect of testDialects())
  describe(`${dialect}: issuing`, () => {
    let t: TestApp, org: Organization, apiKey: string, did: string;

    beforeAll(async () => {
      t = await createTestApp({ dialect });
      org = await t.createOrg({ name: 'Institut Mercier', slug: 'mercier' });
      apiKey = await apiKeyFor(t, org, { label: 'tests' });
      did = issuerDid(t.config.baseUrl, 'mercier');
    });
    afterAll(async () => {
      await t.close();
    });

    const deps = () => t.container.deps;
    const issueApi = (body: unknown, key: string | null = apiKey, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/credentials/issue',
        payload: body as object,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      });

    it('gives a new organisation an Ed25519 issuer key whose secret is sealed with the master key', async () => {
      const keys = await t.container.store.issuerKeys.list(org.id);
      expect(keys).toHaveLength(1);
      const [key] = keys;
      expect(key!.publicKeyMultibase).toMatch(/^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/);
      expect(key!.retiredAt).toBeNull();
      // Stored sealed (AES-256-GCM with the master key), never in clear.
      expect(key!.secretKeySealed).toMatch(/^v1\./);
      const secret = deps().secrets.open(key!.secretKeySealed);
      expect(secret).toMatch(/^z3u2/);
      expect(key!.secretKeySealed).not.toContain(secret);
      expect(publicKeyOf(secret)).toBe(key!.publicKeyMultibase);
      expect(did).toBe('did:web:sceau.test%3A3000:orgs:mercier');
    });

    it('issues an OpenBadgeCredential of the documented shape that validates, verifies with the stock library, and is stored verbatim', async () => {
      const issued = await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge() });
      const doc = JSON.parse(issued.document) as Doc;
      const key = (await t.container.store.issuerKeys.current(org.id))!;

      expect(doc['@context']).toEqual([
        'https://www.w3.org/ns/credentials/v2',
        'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
        'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json',
      ]);
      expect(doc['id']).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(doc['type']).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
      expect(doc['issuer']).toEqual({ id: did, type: ['Profile'], name: 'Institut Mercier', url: 'http://sceau.test:3000/orgs/mercier/profile' });
      expect(doc['name']).toBe('Secourisme de base');
      expect(doc['validFrom']).toBe(
        t.clock
          .now()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      );
      expect(doc['validUntil']).toBeUndefined();

      const subject = doc['credentialSubject'];
      expect(subject['id']).toBeUndefined();
      expect(subject['type']).toEqual(['AchievementSubject']);
      expect(subject['identifier']).toHaveLength(1);
      const identity = subject['identifier'][0];
      expect(identity).toMatchObject({ type: 'IdentityObject', identityType: 'emailAddress', hashed: true });
      // identityHash = "sha256$" + hex(sha256(email + salt)), the normalised address.
      const expected = crypto.createHash('sha256').update(`learner@example.org${identity.salt}`).digest('hex');
      expect(identity.identityHash).toBe(`sha256$${expected}`);
      expect(issued.document).not.toContain('learner@example.org');
      expect(subject['achievement']).toMatchObject({
        type: ['Achievement'],
        name: 'Secourisme de base',
        achievementType: 'Certificate',
        description: expect.stringContaining('Premiers secours'),
        criteria: { narrative: 'Réussir l’évaluation pratique de 4 heures.' },
        image: { id: 'https://example.org/badges/secourisme.png', type: 'Image' },
        alignment: [
          {
            type: ['Alignment'],
            targetName: 'Porter secours',
            targetUrl: 'https://example.org/skills/first-aid',
            targetType: 'ceasn:Competency',
            targetCode: 'FA-1',
          },
        ],
      });
      expect(subject['achievement'].id).toMatch(/^urn:uuid:/);

      expect(doc['credentialSchema']).toEqual([{ id: OB_SCHEMA_URL, type: '1EdTechJsonSchemaValidator2019' }]);
      // One status entry (an object, not an array), revocation, index as a string.
      const status = doc['credentialStatus'];
      expect(Array.isArray(status)).toBe(false);
      expect(status).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
      expect(status.statusListIndex).toMatch(/^\d+$/);
      expect(Number(status.statusListIndex)).toBeLessThan(STATUS_LIST_LENGTH);
      expect(status.statusListCredential).toMatch(/^http:\/\/sceau\.test:3000\/orgs\/mercier\/status\/[0-9a-f-]{36}$/);
      expect(status.id).toBe(`${status.statusListCredential}#${status.statusListIndex}`);

      // proof: an array with one eddsa-rdfc-2022 DataIntegrityProof by the current key.
      expect(Array.isArray(doc['proof'])).toBe(true);
      expect(doc['proof']).toHaveLength(1);
      expect(doc['proof'][0]).toMatchObject({
        type: 'DataIntegrityProof',
        cryptosuite: 'eddsa-rdfc-2022',
        proofPurpose: 'assertionMethod',
        verificationMethod: `${did}#${key.publicKeyMultibase}`,
        created: doc['validFrom'],
      });
      expect(doc['proof'][0].proofValue).toMatch(/^z[1-9A-HJ-NP-Za-km-z]{80,90}$/);

      expect(schemaErrors(doc)).toEqual([]);
      const stock = await stockVerify(deps(), doc);
      expect(stock.verified, errorText(stock)).toBe(true);
      expect(stock.statusResult?.results[0]?.status).toBe(false);
      // Negative controls: the same checks fail on an edited credential and on another organisation's claim.
      expect((await stockVerify(deps(), { ...doc, name: 'Secourisme avancé' })).verified).toBe(false);
      expect((await stockVerify(deps(), { ...doc, issuer: { ...doc['issuer'], id: 'did:web:sceau.test%3A3000:orgs:autre' } })).verified).toBe(false);

      // Stored verbatim: the stored text is the returned text, byte for byte.
      const [stored] = await t.container.store.credentials.findByCredentialId(org.id, doc['id']);
      expect(stored!.document).toBe(issued.document);
      expect(Buffer.from(stored!.document).equals(Buffer.from(issued.document))).toBe(true);
      expect(stored).toMatchObject({ statusIndex: Number(status.statusListIndex), recipientHash: identity.identityHash, format: 'ldp', revokedAt: null });
    });

    it('binds a holder DID, carries results and a validity window, and stays schema-valid', async () => {
      const issued = await issueOpenBadge(deps(), system, {
        slug: org.slug,
        badge: badge({
          recipient: { email: 'holder@example.org', did: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' },
          name: 'Secourisme — session de juin',
          validFrom: '2026-01-01T00:00:00Z',
          validUntil: '2029-01-01T00:00:00Z',
          result: [{ value: '92', status: 'Completed' }],
        }),
      });
      const doc = JSON.parse(issued.document) as Doc;
      expect(doc['credentialSubject'].id).toBe('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
      expect(doc['credentialSubject'].result).toEqual([{ type: ['Result'], value: '92', status: 'Completed' }]);
      expect(doc['name']).toBe('Secourisme — session de juin');
      expect([doc['validFrom'], doc['validUntil']]).toEqual(['2026-01-01T00:00:00Z', '2029-01-01T00:00:00Z']);
      expect(schemaErrors(doc)).toEqual([]);
      const stock = await stockVerify(deps(), doc);
      expect(stock.verified, errorText(stock)).toBe(true);
    });

    it('refuses bad input before writing anything, with field-level errors', async () => {
      const before = await t.container.store.credentials.countForOrg(org.id);
      const cases: [Partial<Parameters<typeof badge>[0]>, string, string][] = [
        [{ recipient: { email: 'not-an-address' } }, 'EMAIL_INVALID', 'recipient.email'],
        [{ recipient: { email: 'a@example.org', did: 'https://not-a-did.example' } }, 'RECIPIENT_DID_INVALID', 'recipient.did'],
        [{ validFrom: 'yesterday' }, 'VALIDATION_FAILED', 'validFrom'],
        [{ validFrom: '2026-01-02T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }, 'VALIDATION_FAILED', 'validUntil'],
        [{ achievement: { ...badge().achievement, achievementType: 'Trophy' } }, 'VALIDATION_FAILED', 'achievement.achievementType'],
        [{ achievement: { ...badge().achievement, image: 'javascript:alert(1)' } }, 'URL_INVALID', 'achievement.image'],
        [{ achievement: { ...badge().achievement, criteria: {} } }, 'VALIDATION_FAILED', 'achievement.criteria'],
        [{ result: [{ status: 'Passed' }] }, 'VALIDATION_FAILED', 'result.0.status'],
      ];
      for (const [override, code, field] of cases) {
        const err = await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge(override) }).catch((e: unknown) => e);
        expect(err, JSON.stringify(override)).toMatchObject({ code, field });
      }
      expect(await t.container.store.credentials.countForOrg(org.id)).toBe(before);
    });

    it('also signs an OB 3.0 VC-JWT of the same credential (typ JWT, EdDSA, kid = the verification method)', async () => {
      const issued = await issueOpenBadge(deps(), system, {
        slug: org.slug,
        badge: { ...badge({ recipient: { email: 'jwt@example.org', did: 'did:example:holder-1' } }), jwt: true },
      });
      expect(issued.jwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const doc = JSON.parse(issued.document) as Doc;
      const header = decodeProtectedHeader(issued.jwt!);
      const key = (await t.container.store.issuerKeys.current(org.id))!;
      expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: `${did}#${key.publicKeyMultibase}` });
      const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(decodePublicKey(key.publicKeyMultibase)).toString('base64url') };
      const { payload } = await compactVerify(issued.jwt!, await importJWK(jwk, 'EdDSA'));
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Doc;
      const { proof: _proof, ...unsigned } = doc;
      expect(claims).toEqual({
        ...unsigned,
        iss: did,
        jti: doc['id'],
        sub: 'did:example:holder-1',
        nbf: Math.floor(Date.parse(doc['validFrom']) / 1000),
      });
      const [stored] = await t.container.store.credentials.findByCredentialId(org.id, doc['id']);
      expect(stored).toMatchObject({ jwt: issued.jwt, format: 'ldp+jwt' });
    });

    it('issues a batch with one created timestamp and distinct random status indexes', async () => {
      const results = await issueOpenBadges(deps(), system, {
        slug: org.slug,
        badges: Array.from({ length: 5 }, (_, i) => badge({ recipient: { email: `batch${i}@example.org` } })),
      });
      const docs = results.map((r) => JSON.parse(r.document) as Doc);
      expect(new Set(docs.map((d) => d['proof'][0].created)).size).toBe(1);
      expect(new Set(docs.map((d) => d['credentialStatus'].statusListIndex)).size).toBe(5);
      for (const d of docs) expect((await stockVerify(deps(), d)).verified).toBe(true);
    });

    describe('POST /credentials/issue (VC-API)', () => {
      const obCredential = (extra: Doc = {}): Doc => ({
        '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        name: 'Atelier numérique',
        credentialSubject: {
          type: ['AchievementSubject'],
          identifier: [{ type: 'IdentityObject', identityHash: 'sha256$00', identityType: 'emailAddress', hashed: true, salt: 'x' }],
          achievement: {
            id: 'https://example.org/achievements/atelier',
            type: ['Achievement'],
            name: 'Atelier',
            description: 'Un atelier.',
            criteria: { narrative: 'Présence.' },
          },
        },
        ...extra,
      });

      it('issues with the organisation API key: 201, issuer filled in, verifiable, and the response is the stored text', async () => {
        const res = await issueApi({ credential: obCredential(), options: {} });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const vcText = res.body.slice('{"verifiableCredential":'.length, -1);
        expect(res.body).toBe(`{"verifiableCredential":${vcText}}`);
        const doc = JSON.parse(vcText) as Doc;
        expect(doc['issuer']).toMatchObject({ id: did, type: ['Profile'], name: 'Institut Mercier' });
        expect(doc['id']).toMatch(/^urn:uuid:/);
        expect(Array.isArray(doc['proof'])).toBe(true);
        expect(doc['credentialStatus']).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
        expect(schemaErrors(doc)).toEqual([]);
        const stock = await stockVerify(deps(), doc);
        expect(stock.verified, errorText(stock)).toBe(true);
        const [stored] = await t.container.store.credentials.findByCredentialId(org.id, doc['id']);
        expect(stored!.document).toBe(vcText);
      });

      it("accepts the organisation's DID as issuer (string or Profile id) and a plain VCDM 2.0 credential", async () => {
        const plain = {
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['VerifiableCredential'],
          issuer: did,
          credentialSubject: { id: 'did:example:123' },
        };
        const res = await issueApi({ credential: plain });
        expect(res.statusCode, res.body).toBe(201);
        const doc = (res.json() as { verifiableCredential: Doc }).verifiableCredential;
        expect(doc['issuer']).toBe(did);
        expect(doc['proof']).toMatchObject({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022' });
        expect(doc['validFrom']).toMatch(/Z$/);
        expect((await stockVerify(deps(), doc)).verified).toBe(true);
        // VCDM 1.1: issuanceDate filled in, the Data Integrity context appended (as the stock library does), no status entry.
        const v1 = await issueApi({
          credential: { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:456' } },
        });
        expect(v1.statusCode, v1.body).toBe(201);
        const v1doc = (v1.json() as { verifiableCredential: Doc }).verifiableCredential;
        expect(v1doc['@context']).toEqual(['https://www.w3.org/2018/credentials/v1', 'https://w3id.org/security/data-integrity/v2']);
        expect(v1doc['issuanceDate']).toMatch(/Z$/);
        expect(v1doc['credentialStatus']).toBeUndefined();
        expect((await stockVerify(deps(), v1doc)).verified).toBe(true);
        const profiled = await issueApi({ credential: obCredential({ issuer: { id: did, type: ['Profile'], name: 'Mercier (custom)' } }) });
        expect(profiled.statusCode, profiled.body).toBe(201);
        expect((profiled.json() as { verifiableCredential: Doc }).verifiableCredential['issuer'].name).toBe('Mercier (custom)');
      });

      it('refuses another issuer, unknown contexts, undefined terms, and missing keys, with clear localised errors', async () => {
        const before = await t.container.store.credentials.countForOrg(org.id);
        const other = await issueApi({ credential: obCredential({ issuer: 'did:web:evil.example' }) }, apiKey, { 'accept-language': 'en' });
        expect(other.statusCode).toBe(400);
        expect(other.json()).toMatchObject({ code: 'CREDENTIAL_ISSUER_MISMATCH', detail: `The credential’s issuer must be your organisation (${did}).` });
        const otherFr = await issueApi({ credential: obCredential({ issuer: { id: 'https://evil.example/issuer', type: ['Profile'] } }) });
        expect(otherFr.json()).toMatchObject({
          code: 'CREDENTIAL_ISSUER_MISMATCH',
          detail: `L’émetteur de l’attestation doit être votre organisation (${did}).`,
        });

        const unknownContext = await issueApi({
          credential: obCredential({ '@context': ['https://www.w3.org/ns/credentials/v2', 'https://canary.invalid/context.json'] }),
        });
        expect(unknownContext.statusCode).toBe(400);
        expect(unknownContext.json()).toMatchObject({ code: 'CREDENTIAL_CONTEXT_UNKNOWN', params: { url: 'https://canary.invalid/context.json' } });

        const undefinedTerm = await issueApi({ credential: obCredential({ favouriteColour: 'blue' }) });
        expect(undefinedTerm.statusCode).toBe(400);
        expect(undefinedTerm.json()).toMatchObject({ code: 'CREDENTIAL_UNDEFINED_TERM', params: { term: 'favouriteColour' } });

        const badContext = await issueApi({ credential: { ...obCredential(), '@context': ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'] } });
        expect(badContext.json()).toMatchObject({ code: 'CREDENTIAL_INVALID' });
        const noSubject = await issueApi({ credential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'] } });
        expect(noSubject.json()).toMatchObject({ code: 'CREDENTIAL_INVALID' });
        const signedAlready = await issueApi({ credential: obCredential({ proof: { type: 'DataIntegrityProof' } }) });
        expect(signedAlready.json()).toMatchObject({ code: 'CREDENTIAL_INVALID' });

        expect((await issueApi({ credential: obCredential() }, null)).statusCode).toBe(401);
        expect((await issueApi({ credential: obCredential() }, 'sceau_not-a-real-key')).json()).toMatchObject({ code: 'AUTH_INVALID_API_KEY' });
        expect((await issueApi({ credential: obCredential(), orgId: 'x' })).json()).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(await t.container.store.credentials.countForOrg(org.id)).toBe(before);
      });
    });
  });
