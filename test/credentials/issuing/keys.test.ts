/**
 * Issuer identity: did:web ids, the DID document and the issuer Profile served by Sceau, resolution of Sceau's own
 * DIDs from the database, lazy keys for organisations older than issuer keys, rotation (old credentials still
 * verify), and the signer: byte-identical to the stock pipeline, keys imported once, the W3C vc-di-eddsa vector
 * reproduced byte for byte. On SQLite and PostgreSQL where storage is involved.
 */
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialSigner } from '../../../src/crypto/credential-signer.js';
import { createDocumentLoader } from '../../../src/crypto/document-loader.js';
import { base58Decode, base58Encode } from '../../../src/crypto/multikey.js';
import { ensureIssuerKeys, issuerDid, parseOwnDid, publicUrl, rotateIssuerKey, setIssuerProfile } from '../../../src/domain/credentials/issuer-identity.js';
import { issueOpenBadge } from '../../../src/domain/credentials/issue-credentials.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { testDialects } from '../../support/db.js';
import { badge, errorText, fixture, stockLoader, stockVerify } from './support.js';
import type { Organization } from '../../../src/domain/organizations/model.js';

const system = { kind: 'system' } as const;
type Doc = Record<string, any>;
const EXAMPLES_V2 = 'https://www.w3.org/ns/credentials/examples/v2';

/** The strict loader, plus the W3C examples context the vector needs (in case the bundle does not carry it). */
function vectorLoader() {
  const base = createDocumentLoader();
  return async (url: string) => {
    if (url === EXAMPLES_V2) {
      try {
        return await base(url);
      } catch {
        return { contextUrl: null, documentUrl: url, document: { '@context': { '@vocab': 'https://www.w3.org/ns/credentials/examples#' } } };
      }
    }
    return base(url);
  };
}

describe('issuer ids and the signer (no database)', () => {
  it('derives did:web ids from BASE_URL: port percent-encoded, path kept, and parses only its own', () => {
    expect(issuerDid(new URL('http://localhost:3000'), 'demo')).toBe('did:web:localhost%3A3000:orgs:demo');
    expect(issuerDid(new URL('https://sceau.example.org/'), 'lycee-roux')).toBe('did:web:sceau.example.org:orgs:lycee-roux');
    expect(issuerDid(new URL('https://example.org/sceau/'), 'a')).toBe('did:web:example.org:sceau:orgs:a');
    expect(publicUrl(new URL('https://example.org/sceau'), 'orgs/a/did.json')).toBe('https://example.org/sceau/orgs/a/did.json');
    const base = new URL('http://localhost:3000');
    expect(parseOwnDid(base, 'did:web:localhost%3A3000:orgs:demo#z6Mkabc')).toEqual({
      slug: 'demo',
      did: 'did:web:localhost%3A3000:orgs:demo',
      fragment: 'z6Mkabc',
    });
    for (const other of [
      'did:web:localhost%3A3001:orgs:demo',
      'did:web:localhost%3A3000:orgs:demo:x',
      'did:web:localhost%3A3000:orgs:DEMO',
      'did:key:z6Mk',
      'https://localhost:3000/orgs/demo',
    ]) {
      expect(parseOwnDid(base, other), other).toBeUndefined();
    }
  });

  it('base58btc round-trips (leading zeros included)', () => {
    for (const bytes of [[], [0], [0, 0, 1], [255, 254, 0, 3], Array.from({ length: 66 }, (_, i) => (i * 37) % 256)]) {
      expect([...base58Decode(base58Encode(Uint8Array.from(bytes)))]).toEqual(bytes);
    }
    expect(base58Encode(Uint8Array.from([0, 0, 0x28, 0x7f, 0xb4, 0xcd]))).toBe('11233QC4');
  });

  it("reproduces the W3C vc-di-eddsa eddsa-rdfc-2022 vector byte for byte through Sceau's signer", async () => {
    const keyPair = fixture('w3c-keyPair.json') as { publicKeyMultibase: string; privateKeyMultibase: string };
    const unsigned = fixture('w3c-unsigned.json');
    const vector = fixture('w3c-eddsa-rdfc-2022-signedDataInt.json') as Doc;
    const signer = createCredentialSigner({ secrets: { open: (s) => s }, documentLoader: vectorLoader() });
    const did = `did:key:${keyPair.publicKeyMultibase}`;
    const signed = await signer.signWithSecret(
      unsigned,
      {
        id: 'w3c-vector',
        verificationMethod: `${did}#${keyPair.publicKeyMultibase}`,
        secretKeyMultibase: keyPair.privateKeyMultibase,
      },
      { created: vector['proof'].created },
    );
    expect((signed['proof'] as Doc)['proofValue']).toBe(vector['proof'].proofValue);
    expect(signed['proof']).toEqual(vector['proof']);
    const { proof: _p, ...rest } = signed;
    const { proof: _q, ...vectorRest } = vector;
    expect(rest).toEqual(vectorRest);
  });

  it('signs exactly like the stock @digitalbazaar/vc pipeline (same bytes), importing each key once and memoising proof options', async () => {
    const generated = await Ed25519Multikey.generate();
    const exported = await generated.export({ publicKey: true, secretKey: true, includeContext: true });
    const did = `did:key:${exported.publicKeyMultibase}`;
    const vm = `${did}#${exported.publicKeyMultibase}`;
    const loader = vectorLoader();
    const signer = createCredentialSigner({ secrets: { open: (s) => s }, documentLoader: loader });
    const created = '2026-01-15T09:00:00Z';
    const v1 = {
      '@context': ['https://www.w3.org/2018/credentials/v1'],
      id: 'urn:uuid:00000000-0000-4000-8000-0000000000aa',
      type: ['VerifiableCredential'],
      issuer: did,
      issuanceDate: '2026-01-01T00:00:00Z',
      credentialSubject: { id: 'did:example:v1' },
    };
    for (let i = 0; i < 4; i++) {
      // Three VCDM 2.0 credentials (one proof-options memo entry), then a VCDM 1.1 one (the DI context is appended).
      const credential = i < 3 ? { ...fixture('w3c-unsigned.json'), id: `urn:uuid:00000000-0000-4000-8000-00000000000${i}` } : v1;
      const ours = await signer.signWithSecret(
        structuredClone(credential),
        { id: 'k', verificationMethod: vm, secretKeyMultibase: exported.secretKeyMultibase },
        { created },
      );
      const key = await Ed25519Multikey.from({ ...exported, id: vm, controller: did });
      const stock = await vc.issue({
        credential: structuredClone(credential),
        suite: new DataIntegrityProof({ signer: key.signer(), cryptosuite, date: created }),
        documentLoader: loader,
      });
      expect(JSON.stringify(ours)).toBe(JSON.stringify(stock));
    }
    expect(signer.stats).toEqual({ keyImports: 1, memoHits: 2, memoMisses: 2 });
  });
});

for (const dialect of testDialects())
  describe(`${dialect}: issuer identity`, () => {
    let t: TestApp, org: Organization;

    beforeAll(async () => {
      t = await createTestApp({ dialect });
      org = await t.createOrg({ name: 'Centre Hébert', slug: 'hebert' });
    });
    afterAll(async () => {
      await t.close();
    });
    const deps = () => t.container.deps;
    const did = () => issuerDid(t.config.baseUrl, 'hebert');

    it('serves the DID document: DID v1 context first, then Multikey; every key under verificationMethod and assertionMethod', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/orgs/hebert/did.json' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const key = (await t.container.store.issuerKeys.current(org.id))!;
      const vm = `${did()}#${key.publicKeyMultibase}`;
      expect(res.json()).toEqual({
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
        id: did(),
        verificationMethod: [{ id: vm, type: 'Multikey', controller: did(), publicKeyMultibase: key.publicKeyMultibase }],
        assertionMethod: [vm],
      });
      expect(JSON.stringify(res.json())).not.toMatch(/secret|z3u2/i);
      expect(await deps().resolveOwnDid(did())).toEqual(res.json());
      expect(await deps().resolveOwnDid(vm)).toEqual({
        '@context': 'https://w3id.org/security/multikey/v1',
        id: vm,
        type: 'Multikey',
        controller: did(),
        publicKeyMultibase: key.publicKeyMultibase,
      });
      expect(await deps().resolveOwnDid(`${did()}#z6MkNotAKeyOfOurs`)).toBeUndefined();
      expect(await deps().resolveOwnDid('did:web:sceau.test%3A3000:orgs:nobody')).toBeUndefined();
      expect(await deps().resolveOwnDid('did:web:elsewhere.example:orgs:hebert')).toBeUndefined();
      const missing = await t.app.inject({ method: 'GET', url: '/orgs/nobody/did.json' });
      const malformed = await t.app.inject({ method: 'GET', url: '/orgs/NO%20BODY/did.json' });
      expect([missing.statusCode, malformed.statusCode]).toEqual([404, 404]);
      expect(malformed.body).toBe(missing.body);
    });

    it('serves the OB 3.0 issuer Profile (name, url, image, e-mail), also embedded in credentials', async () => {
      const bare = (await t.app.inject({ method: 'GET', url: '/orgs/hebert/profile' })).json() as Doc;
      expect(bare).toEqual({
        '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
        id: did(),
        type: ['Profile'],
        name: 'Centre Hébert',
        url: 'http://sceau.test:3000/orgs/hebert/profile',
      });
      await t.container.store.organizations.update(org.id, { logoUrl: 'https://example.org/hebert.png' });
      await setIssuerProfile(deps(), system, {
        slug: org.slug,
        url: 'https://hebert.example.org',
        email: 'Contact@Hebert.example.org',
        description: 'Centre de formation.',
      });
      const full = (await t.app.inject({ method: 'GET', url: '/orgs/hebert/profile' })).json() as Doc;
      expect(full).toEqual({
        '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
        id: did(),
        type: ['Profile'],
        name: 'Centre Hébert',
        url: 'https://hebert.example.org/',
        description: 'Centre de formation.',
        image: { id: 'https://example.org/hebert.png', type: 'Image' },
        email: 'contact@hebert.example.org',
      });
      const refreshed = (await t.container.store.organizations.findById(org.id))!;
      const doc = JSON.parse((await issueOpenBadge(deps(), system, { slug: refreshed.slug, badge: badge() })).document) as Doc;
      const { '@context': _ctx, ...profile } = full;
      expect(doc['issuer']).toEqual(profile);
      expect((await stockVerify(deps(), doc)).verified).toBe(true);
      await expect(setIssuerProfile(deps(), system, { slug: org.slug, url: 'http://plain.example.org' })).rejects.toMatchObject({
        code: 'URL_INVALID',
        field: 'url',
      });
      await expect(setIssuerProfile(deps(), system, { slug: org.slug, email: 'nope' })).rejects.toMatchObject({ code: 'EMAIL_INVALID' });
    });

    it('rotation adds a key and keeps the old one listed: credentials signed before and after both verify', async () => {
      const before = JSON.parse(
        (await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge({ recipient: { email: 'before@example.org' } }) })).document,
      ) as Doc;
      const { previous, current } = await rotateIssuerKey(deps(), system, { slug: org.slug });
      expect(previous.retiredAt).not.toBeNull();
      const after = JSON.parse(
        (await issueOpenBadge(deps(), system, { slug: org.slug, badge: badge({ recipient: { email: 'after@example.org' } }) })).document,
      ) as Doc;
      expect(before['proof'][0].verificationMethod).toBe(`${did()}#${previous.publicKeyMultibase}`);
      expect(after['proof'][0].verificationMethod).toBe(`${did()}#${current.publicKeyMultibase}`);
      const doc = (await t.app.inject({ method: 'GET', url: '/orgs/hebert/did.json' })).json() as Doc;
      // Current key first; the retired one still there.
      expect(doc['assertionMethod']).toEqual([`${did()}#${current.publicKeyMultibase}`, `${did()}#${previous.publicKeyMultibase}`]);
      expect(doc['verificationMethod'].map((m: Doc) => m['publicKeyMultibase'])).toEqual([current.publicKeyMultibase, previous.publicKeyMultibase]);
      for (const x of [before, after]) {
        const r = await stockVerify(deps(), x);
        expect(r.verified, errorText(r)).toBe(true);
      }
      // A second rotation: three keys, all listed.
      await rotateIssuerKey(deps(), system, { slug: org.slug });
      expect(((await deps().resolveOwnDid(did())) as Doc)['assertionMethod']).toHaveLength(3);
      expect((await stockVerify(deps(), before)).verified).toBe(true);
      const audit = await t.container.store.audit.listForOrg(org.id, 50);
      expect(audit.filter((e) => e.action === 'issuer_key.rotated')).toHaveLength(2);
    });

    it('organisations older than issuer keys get one lazily or at start, never two', async () => {
      const legacy: Organization = {
        id: deps().secrets.newId(),
        slug: 'ancienne',
        name: 'Ancienne',
        logoUrl: null,
        languages: ['fr'],
        parentId: null,
        createdAt: t.clock.now(),
        timeZone: 'Europe/Paris',
      };
      const legacy2: Organization = { ...legacy, id: deps().secrets.newId(), slug: 'ancienne-2' };
      await t.container.store.organizations.create(legacy);
      await t.container.store.organizations.create(legacy2);
      expect(await t.container.store.issuerKeys.orgIdsWithoutKey()).toEqual(expect.arrayContaining([legacy.id, legacy2.id]));
      // Lazily (the first DID document request), concurrently: one key.
      const responses = await Promise.all([1, 2, 3].map(() => t.app.inject({ method: 'GET', url: '/orgs/ancienne/did.json' })));
      expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect(await t.container.store.issuerKeys.list(legacy.id)).toHaveLength(1);
      expect(new Set(responses.map((r) => r.body)).size).toBe(1);
      // At start: every organisation without a key gets one.
      expect(await ensureIssuerKeys(deps())).toBe(1);
      expect(await ensureIssuerKeys(deps())).toBe(0);
      expect(await t.container.store.issuerKeys.list(legacy2.id)).toHaveLength(1);
      const doc = JSON.parse((await issueOpenBadge(deps(), system, { slug: legacy2.slug, badge: badge() })).document) as Doc;
      expect((await stockVerify(deps(), doc)).verified).toBe(true);
    });

    it('the signer imports the key once per process, not per credential', async () => {
      const signer = createCredentialSigner({ secrets: deps().secrets });
      const d = { ...deps(), signer };
      for (let i = 0; i < 3; i++) await issueOpenBadge(d, system, { slug: org.slug, badge: badge({ recipient: { email: `once${i}@example.org` } }) });
      expect(signer.stats.keyImports).toBe(1);
      // The stock loader resolves the VM exactly as the verifier will.
      const vm = JSON.parse((await issueOpenBadge(d, system, { slug: org.slug, badge: badge() })).document).proof[0].verificationMethod as string;
      expect((await stockLoader(deps())(vm)).document).toMatchObject({ type: 'Multikey', controller: did() });
    });
  });
