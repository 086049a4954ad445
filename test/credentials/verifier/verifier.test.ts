/**
 * The verifier's behaviour: issuers (own, did:key, did:web, https), validity window (T5), issuer binding (T6),
 * status lists and suspensions (T3's fail-closed half), JWT flavours, presentations, endorsements, and "never
 * throws". Offline: the fetcher is an in-memory map.
 */
import crypto from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import { CompactSign, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FIXED_NOW,
  type Json,
  OWN_DID,
  type TestKey,
  didDoc,
  documentLoader,
  ecdsaMultibase,
  ed25519PrivateKey,
  errorCodes,
  makeVerifier,
  openBadge,
  publicJwk,
  signRdfc,
  statusEntry,
  statusListCredential,
  steps,
  testKey,
  warningCodes,
  encodeList,
} from './support.js';

let own: TestKey;
let ownDoc: Json;
let dk: TestKey; // a did:key issuer
let holder: TestKey; // a did:key holder
const resolveOwnDid = async (did: string) => (did === OWN_DID ? ownDoc : undefined);

beforeAll(async () => {
  own = await testKey(1, OWN_DID);
  ownDoc = didDoc(OWN_DID, [own]);
  dk = await testKey(2);
  holder = await testKey(3);
});

describe('issuers', () => {
  it("a credential of one of Sceau's own organisations: every step passes, issuer registered, no fetch", async () => {
    const { verifier, calls } = makeVerifier({ resolveOwnDid });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(OWN_DID), own));
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.format).toBe('ldp');
    expect(steps(r)).toEqual({
      schema: 'ok:SCHEMA_VALID',
      valid_signature: 'ok:SIGNATURE_INTACT',
      issuer_binding: 'ok:ISSUER_BOUND',
      registered_issuer: 'ok:ISSUER_REGISTERED',
      validity_start: 'ok:VALIDITY_STARTED',
      expiration: 'ok:NOT_EXPIRED',
    });
    expect(calls).toEqual([]);
  });

  it('a did:key issuer is resolved locally (ISSUER_RESOLVED), a proof as a single object too', async () => {
    const { verifier, calls } = makeVerifier();
    const r = await verifier.verifyCredential(await signRdfc(openBadge(dk.did), dk, undefined, { wrap: false }));
    expect(r.verified).toBe(true);
    expect(steps(r)['registered_issuer']).toBe('ok:ISSUER_RESOLVED');
    expect(r.log.find((s) => s.id === 'registered_issuer')?.message).toContain('did:key');
    expect(calls).toEqual([]);
  });

  it('a did:web issuer of another platform is fetched (after local checks) through the fetcher', async () => {
    const did = 'did:web:issuer.example:orgs:x';
    const key = await testKey(4, did, 'key-1');
    const { verifier, calls } = makeVerifier({ docs: { 'https://issuer.example/orgs/x/did.json': didDoc(did, [key]) } });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(did), key));
    expect(r.verified).toBe(true);
    expect(steps(r)['registered_issuer']).toBe('ok:ISSUER_RESOLVED');
    expect(calls).toEqual(['https://issuer.example/orgs/x/did.json']);
    // Unreachable: the key cannot be resolved → not verified (never "valid").
    const offline = makeVerifier();
    const r2 = await offline.verifier.verifyCredential(await signRdfc(openBadge(did), key));
    expect(r2.verified).toBe(false);
    expect(steps(r2)['valid_signature']).toBe('FAIL:VERIFICATION_METHOD_UNRESOLVABLE');
  });

  it('a structurally invalid document never triggers a remote key fetch', async () => {
    const did = 'did:web:issuer.example';
    const key = await testKey(4, did, 'key-1');
    const signed = await signRdfc(openBadge(did), key);
    const { verifier, calls } = makeVerifier({ docs: { 'https://issuer.example/.well-known/did.json': didDoc(did, [key]) } });
    const r = await verifier.verifyCredential({ ...signed, id: 'not a uri' });
    expect(r.verified).toBe(false);
    expect(calls).toEqual([]);
  });

  it('the key cache never changes a result: the same key id with another key in a new DID document', async () => {
    const did = 'did:web:rotating.example';
    const k1 = await testKey(10, did, 'key-1');
    const k2 = await testKey(11, did, 'key-1');
    const docs: Record<string, unknown> = { 'https://rotating.example/.well-known/did.json': didDoc(did, [k1]) };
    const { verifier } = makeVerifier({ docs });
    const signed1 = await signRdfc(openBadge(did), k1);
    const signed2 = await signRdfc(openBadge(did), k2);
    expect((await verifier.verifyCredential(signed1)).verified).toBe(true);
    expect(errorCodes(await verifier.verifyCredential(signed2))).toEqual(['SIGNATURE_INVALID']);
    docs['https://rotating.example/.well-known/did.json'] = didDoc(did, [k2]);
    expect((await verifier.verifyCredential(signed2)).verified).toBe(true);
    expect(errorCodes(await verifier.verifyCredential(signed1))).toEqual(['SIGNATURE_INVALID']);
  });
});

describe('T5 validity window (injected clock, ±1 s)', () => {
  it('validFrom: 1 s before → not yet valid; at and 1 s after → valid', async () => {
    const signed = await signRdfc(openBadge(dk.did, { validFrom: '2026-03-01T12:00:00Z', validUntil: '2027-03-01T12:00:00Z' }), dk);
    const at = (iso: string) => makeVerifier({ now: new Date(iso) }).verifier.verifyCredential(signed);
    const before = await at('2026-03-01T11:59:59Z');
    expect(before.verified).toBe(false);
    expect(steps(before)['validity_start']).toBe('FAIL:NOT_YET_VALID');
    expect(before.errors.find((e) => e.code === 'NOT_YET_VALID')?.message).toContain('2026-03-01T12:00:00Z');
    expect((await at('2026-03-01T12:00:00Z')).verified).toBe(true);
    expect((await at('2026-03-01T12:00:01Z')).verified).toBe(true);
  });

  it('validUntil: 1 s before and at → valid; 1 s after → expired', async () => {
    const signed = await signRdfc(openBadge(dk.did, { validFrom: '2025-03-01T12:00:00Z', validUntil: '2026-03-01T12:00:00Z' }), dk);
    const { verifier } = makeVerifier();
    expect((await verifier.verifyCredential(signed, { now: new Date('2026-03-01T11:59:59Z') })).verified).toBe(true);
    expect((await verifier.verifyCredential(signed, { now: new Date('2026-03-01T12:00:00Z') })).verified).toBe(true);
    const after = await verifier.verifyCredential(signed, { now: new Date('2026-03-01T12:00:01Z') });
    expect(after.verified).toBe(false);
    expect(errorCodes(after)).toEqual(['EXPIRED']);
    expect(after.errors[0]!.message).toBe('Expired on 2026-03-01T12:00:00Z.');
  });

  it('the deps clock is the default; a VCDM 1.1 credential uses issuanceDate / expirationDate', async () => {
    const v1 = {
      '@context': ['https://www.w3.org/2018/credentials/v1', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
      id: 'urn:uuid:0d9a1f38-1111-4c0b-9d0e-6d6f3f0a9a11',
      type: ['VerifiableCredential', 'OpenBadgeCredential'],
      issuer: { id: dk.did, type: ['Profile'], name: 'Acme' },
      name: 'Badge',
      issuanceDate: '2025-01-01T00:00:00Z',
      expirationDate: '2026-01-01T00:00:00Z',
      credentialSubject: {
        id: 'did:example:abc',
        type: ['AchievementSubject'],
        achievement: { id: 'https://a.example/1', type: ['Achievement'], name: 'A', description: 'd', criteria: { narrative: 'n' } },
      },
    };
    const signed = await signRdfc(v1, dk);
    expect(errorCodes(await makeVerifier({ now: new Date('2026-01-01T00:00:01Z') }).verifier.verifyCredential(signed))).toEqual(['EXPIRED']);
    expect((await makeVerifier({ now: new Date('2025-12-31T23:59:59Z') }).verifier.verifyCredential(signed)).verified).toBe(true);
  });
});

describe('T6 issuer binding', () => {
  it("a key that is not in the issuer's DID document fails", async () => {
    const stranger = await testKey(20, OWN_DID, 'stranger');
    const { verifier } = makeVerifier({ resolveOwnDid });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(OWN_DID), stranger));
    expect(r.verified).toBe(false);
    expect(steps(r)['valid_signature']).toBe('FAIL:VERIFICATION_METHOD_UNRESOLVABLE');
  });

  it('a key listed but not under assertionMethod fails (KEY_NOT_AUTHORIZED)', async () => {
    const authOnly = await testKey(21, OWN_DID, 'auth');
    const doc = didDoc(OWN_DID, [own, authOnly], []);
    doc['assertionMethod'] = [own.vmId];
    doc['authentication'] = [authOnly.vmId];
    const { verifier } = makeVerifier({ resolveOwnDid: async (d) => (d === OWN_DID ? doc : undefined) });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(OWN_DID), authOnly));
    expect(r.verified).toBe(false);
    expect(steps(r)['issuer_binding']).toBe('FAIL:KEY_NOT_AUTHORIZED');
  });

  it('issuer.id different from the signing DID fails (ISSUER_KEY_MISMATCH), even with a valid signature', async () => {
    const { verifier } = makeVerifier({ resolveOwnDid });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(OWN_DID), dk));
    expect(r.verified).toBe(false);
    expect(steps(r)['valid_signature']).toBe('ok:SIGNATURE_INTACT');
    expect(steps(r)['issuer_binding']).toBe('FAIL:ISSUER_KEY_MISMATCH');
    expect(r.log.find((s) => s.id === 'registered_issuer')).toBeUndefined();
  });

  it('rotation keeps old keys valid; a key past its end date (expires) or revoked fails', async () => {
    const current = await testKey(22, OWN_DID, 'key-2');
    const signedOld = await signRdfc(openBadge(OWN_DID), own);
    const rotated = didDoc(OWN_DID, [current, own]);
    const r1 = await makeVerifier({ resolveOwnDid: async (d) => (d === OWN_DID ? rotated : undefined) }).verifier.verifyCredential(signedOld);
    expect(r1.verified).toBe(true);

    const expiring = didDoc(OWN_DID, [current, { ...own, extra: { expires: '2026-01-01T00:00:00Z' } }]);
    const v = makeVerifier({ resolveOwnDid: async (d) => (d === OWN_DID ? expiring : undefined) }).verifier;
    expect((await v.verifyCredential(signedOld, { now: new Date('2025-12-31T23:59:59Z') })).verified).toBe(true);
    const late = await v.verifyCredential(signedOld, { now: new Date('2026-01-01T00:00:01Z') });
    expect(steps(late)['issuer_binding']).toBe('FAIL:KEY_EXPIRED');

    const revoked = didDoc(OWN_DID, [current, { ...own, extra: { revoked: '2025-10-01T00:00:00Z' } }]);
    const r3 = await makeVerifier({ resolveOwnDid: async (d) => (d === OWN_DID ? revoked : undefined) }).verifier.verifyCredential(signedOld);
    expect(steps(r3)['issuer_binding']).toBe('FAIL:KEY_REVOKED');
  });
});

describe('status (Bitstring Status List): the bit is read, failures close', () => {
  const LIST = 'https://status.example/lists/1';

  it('a revoked bit → REVOKED; an unset bit → NOT_REVOKED (the list is verified)', async () => {
    const list = await statusListCredential(LIST, dk, { set: [94_567] });
    const { verifier } = makeVerifier({ docs: { [LIST]: list } });
    const revoked = await verifier.verifyCredential(await signRdfc(openBadge(dk.did, { credentialStatus: statusEntry(LIST, 94_567) }), dk));
    expect(revoked.verified).toBe(false);
    expect(steps(revoked)['revocation_status']).toBe('FAIL:REVOKED');
    const active = await verifier.verifyCredential(await signRdfc(openBadge(dk.did, { credentialStatus: statusEntry(LIST, 94_566) }), dk));
    expect(active.verified).toBe(true);
    expect(steps(active)['revocation_status']).toBe('ok:NOT_REVOKED');
  });

  it('suspension purpose: a set bit → SUSPENDED', async () => {
    const list = await statusListCredential(LIST, dk, { purpose: 'suspension', set: [7] });
    const { verifier } = makeVerifier({ docs: { [LIST]: list } });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(dk.did, { credentialStatus: statusEntry(LIST, 7, 'suspension') }), dk));
    expect(steps(r)['suspension_status']).toBe('FAIL:SUSPENDED');
  });

  it("Sceau's own list is read through getOwnStatusList, with no network", async () => {
    const ownList = 'https://sceau.test/orgs/acme/status/1';
    const list = await statusListCredential(ownList, own, { set: [5] });
    const { verifier, calls } = makeVerifier({ resolveOwnDid, getOwnStatusList: async (u) => (u === ownList ? list : undefined) });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(OWN_DID, { credentialStatus: statusEntry(ownList, 5) }), own));
    expect(steps(r)['revocation_status']).toBe('FAIL:REVOKED');
    const ok = await verifier.verifyCredential(await signRdfc(openBadge(OWN_DID, { credentialStatus: statusEntry(ownList, 6) }), own));
    expect(ok.verified).toBe(true);
    expect(calls).toEqual([]);
  });

  it("Sceau's own suspension records: suspended → suspension_status SUSPENDED; reactivated → NOT_SUSPENDED", async () => {
    let suspended = true;
    const seen: [string, string | undefined][] = [];
    const { verifier } = makeVerifier({ resolveOwnDid, isSuspended: async (id: string, issuer?: string) => (seen.push([id, issuer]), suspended) });
    const signed = await signRdfc(openBadge(OWN_DID), own);
    const r = await verifier.verifyCredential(signed);
    expect(r.verified).toBe(false);
    expect(steps(r)['suspension_status']).toBe('FAIL:SUSPENDED');
    expect(seen[0]).toEqual([signed['id'], OWN_DID]);
    suspended = false;
    const r2 = await verifier.verifyCredential(signed);
    expect(r2.verified).toBe(true);
    expect(steps(r2)['suspension_status']).toBe('ok:NOT_SUSPENDED');
  });

  it('an unreachable list → STATUS_RETRIEVAL_ERROR (status unknown → not verified, never valid)', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(await signRdfc(openBadge(dk.did, { credentialStatus: statusEntry(LIST, 1) }), dk));
    expect(r.verified).toBe(false);
    expect(steps(r)['revocation_status']).toBe('FAIL:STATUS_RETRIEVAL_ERROR');
  });

  it('a forged list (bits changed without re-signing) → STATUS_VERIFICATION_ERROR', async () => {
    const list = await statusListCredential(LIST, dk, { set: [3] });
    (list['credentialSubject'] as Json)['encodedList'] = encodeList(131_072, []);
    const { verifier } = makeVerifier({ docs: { [LIST]: list } });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(dk.did, { credentialStatus: statusEntry(LIST, 3) }), dk));
    expect(steps(r)['revocation_status']).toBe('FAIL:STATUS_VERIFICATION_ERROR');
  });

  it('a list issued by someone else → STATUS_VERIFICATION_ERROR', async () => {
    const other = await testKey(30);
    const list = await statusListCredential(LIST, other);
    const { verifier } = makeVerifier({ docs: { [LIST]: list } });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(dk.did, { credentialStatus: statusEntry(LIST, 3) }), dk));
    expect(steps(r)['revocation_status']).toBe('FAIL:STATUS_VERIFICATION_ERROR');
  });

  it('too short, purpose mismatch, index out of range or not numeric, unsupported type', async () => {
    const short = await statusListCredential(LIST, dk, { length: 8 * 1024 });
    const purpose = await statusListCredential(`${LIST}/p`, dk, { purpose: 'suspension' });
    const ok = await statusListCredential(`${LIST}/ok`, dk);
    const { verifier } = makeVerifier({ docs: { [LIST]: short, [`${LIST}/p`]: purpose, [`${LIST}/ok`]: ok } });
    const check = async (status: Json) =>
      steps(await verifier.verifyCredential(await signRdfc(openBadge(dk.did, { credentialStatus: status }), dk)))['revocation_status'];
    expect(await check(statusEntry(LIST, 1))).toBe('FAIL:STATUS_LIST_LENGTH_ERROR');
    expect(await check(statusEntry(`${LIST}/p`, 1))).toBe('FAIL:STATUS_PURPOSE_MISMATCH');
    expect(await check(statusEntry(`${LIST}/ok`, 131_072))).toBe('FAIL:RANGE_ERROR');
    expect(await check(statusEntry(`${LIST}/ok`, 'abc'))).toBe('FAIL:RANGE_ERROR');
    expect(await check(statusEntry(`${LIST}/ok`, '-1'))).toBe('FAIL:RANGE_ERROR');
    expect(await check({ id: 'https://status.example/rl#1', type: '1EdTechRevocationList' })).toBe('FAIL:STATUS_TYPE_UNSUPPORTED');
    // statusListIndex as a number (1EdTech fixtures) is accepted.
    expect(await check(statusEntry(`${LIST}/ok`, 1, 'revocation', { statusListIndex: 1 }))).toBe('ok:NOT_REVOKED');
  });

  it('a gzip bomb in encodedList does not take the process down', async () => {
    const bomb = `u${gzipSync(Buffer.alloc(64 * 1024 * 1024)).toString('base64url')}`;
    const list = await statusListCredential(LIST, dk, { encodedList: bomb });
    const { verifier } = makeVerifier({ docs: { [LIST]: list } });
    const r = await verifier.verifyCredential(await signRdfc(openBadge(dk.did, { credentialStatus: statusEntry(LIST, 1) }), dk));
    expect(steps(r)['revocation_status']).toBe('FAIL:STATUS_LIST_LENGTH_ERROR');
  });
});

describe('JWT credentials', () => {
  const claims = (credential: Json): JWTPayload => ({
    ...credential,
    iss: (credential['issuer'] as Json)['id'] as string,
    jti: credential['id'] as string,
    nbf: Date.parse(String(credential['validFrom'])) / 1000,
    exp: Date.parse(String(credential['validUntil'])) / 1000,
  });

  it('OB 3.0 VC-JWT, EdDSA, kid = did:key method: verified', async () => {
    const credential = openBadge(dk.did);
    const jwt = await new SignJWT(claims(credential)).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: dk.vmId }).sign(ed25519PrivateKey(2));
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(jwt);
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.format).toBe('vc-jwt');
    expect((r.credential as Json)['iss']).toBeUndefined();
    // The same JWT as an EnvelopedVerifiableCredential and as a data: URL string.
    expect(
      (
        await verifier.verifyCredential({
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: 'EnvelopedVerifiableCredential',
          id: `data:application/vc+jwt,${jwt}`,
        })
      ).verified,
    ).toBe(true);
    expect((await verifier.verifyCredential(`data:application/vc+jwt,${jwt}`)).verified).toBe(true);
    // Tampered payload.
    const [h, p, s] = jwt.split('.');
    const forged = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Json;
    forged['name'] = 'Autre chose';
    expect(errorCodes(await verifier.verifyCredential(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`))).toEqual([
      'SIGNATURE_INVALID',
    ]);
  });

  it('VC-JOSE-COSE vc+jwt, ES256, kid in a remote did:web document (JsonWebKey)', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const did = 'did:web:jose.example';
    const doc = {
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: did,
      verificationMethod: [{ id: `${did}#k`, type: 'JsonWebKey', controller: did, publicKeyJwk: publicJwk(privateKey) }],
      assertionMethod: [`${did}#k`],
    };
    const credential = openBadge(did);
    const jws = await new CompactSign(Buffer.from(JSON.stringify(credential)))
      .setProtectedHeader({ alg: 'ES256', typ: 'vc+jwt', kid: `${did}#k` })
      .sign(privateKey);
    const { verifier } = makeVerifier({ docs: { 'https://jose.example/.well-known/did.json': doc } });
    const r = await verifier.verifyCredential(jws);
    expect(r.errors).toEqual([]);
    expect(r.format).toBe('vc+jwt');
  });

  it('ES384 with a did:key (P-384) kid, and RS256 with an https key document', async () => {
    const { privateKey: p384 } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const mb = await ecdsaMultibase(p384);
    const did = `did:key:${mb}`;
    const credential = openBadge(did);
    const jwt = await new SignJWT(claims(credential)).setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: `${did}#${mb}` }).sign(p384);
    expect((await makeVerifier().verifier.verifyCredential(jwt)).verified).toBe(true);

    const { privateKey: rsa } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const issuer = 'https://rsa.example/issuer';
    const keyDoc = { id: `${issuer}#rsa-1`, type: 'JsonWebKey', controller: issuer, publicKeyJwk: publicJwk(rsa) };
    const controller = { id: issuer, verificationMethod: [keyDoc], assertionMethod: [keyDoc.id] };
    const rsaJwt = await new SignJWT(claims(openBadge(issuer))).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keyDoc.id }).sign(rsa);
    const r = await makeVerifier({ docs: { [issuer]: controller } }).verifier.verifyCredential(rsaJwt);
    expect(r.errors).toEqual([]);
  });

  it("a key in the header jwk: signature intact, issuer unconfirmed unless the issuer's document publishes it", async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issuer = 'https://jwk.example/issuer';
    const jwt = await new SignJWT(claims(openBadge(issuer))).setProtectedHeader({ alg: 'ES256', typ: 'JWT', jwk: publicJwk(privateKey) }).sign(privateKey);
    const r = await makeVerifier().verifier.verifyCredential(jwt);
    expect(steps(r)['valid_signature']).toBe('ok:SIGNATURE_INTACT');
    expect(errorCodes(r)).toEqual(['ISSUER_UNCONFIRMED']);
    const controller = {
      id: issuer,
      verificationMethod: [{ id: `${issuer}#1`, type: 'JsonWebKey', controller: issuer, publicKeyJwk: publicJwk(privateKey) }],
      assertionMethod: [`${issuer}#1`],
    };
    expect((await makeVerifier({ docs: { [issuer]: controller } }).verifier.verifyCredential(jwt)).verified).toBe(true);
  });

  it('refuses alg none, a private key in the header, contradicting claims; checks exp', async () => {
    const credential = openBadge(dk.did);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims(credential))).toString('base64url')}.`;
    expect(errorCodes(await makeVerifier().verifier.verifyCredential(`${none}x`))).toContain('JWT_ALG_UNSUPPORTED');
    const priv = ed25519PrivateKey(2);
    const withD = await new SignJWT(claims(credential))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', jwk: priv.export({ format: 'jwk' }) as Json })
      .sign(priv);
    expect(errorCodes(await makeVerifier().verifier.verifyCredential(withD))).toContain('JWT_PRIVATE_KEY_IN_HEADER');
    const lying = await new SignJWT({ ...claims(credential), iss: 'did:example:other' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: dk.vmId })
      .sign(priv);
    expect(errorCodes(await makeVerifier().verifier.verifyCredential(lying))).toContain('JWT_CLAIMS_MISMATCH');
    const expired = await new SignJWT({ ...claims(credential), exp: Date.parse('2026-01-01T00:00:00Z') / 1000 })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: dk.vmId })
      .sign(priv);
    expect(errorCodes(await makeVerifier({ now: FIXED_NOW }).verifier.verifyCredential(expired))).toEqual(['EXPIRED']);
    expect(errorCodes(await makeVerifier().verifier.verifyCredential('eyJhbGciOiJFZERTQSJ9.e30.'))).toEqual(['JWT_MALFORMED']);
  });
});

describe('presentations', () => {
  async function signVp(presentation: Json, key: TestKey, challenge: string, domain?: string) {
    const suite = new DataIntegrityProof({ signer: key.signer, cryptosuite: eddsaRdfc2022, date: '2026-01-15T08:00:00Z' });
    return vc.signPresentation({ presentation, suite, challenge, domain, documentLoader }) as Promise<Json>;
  }

  it('a signed presentation with challenge and domain: holder proof and every credential verified', async () => {
    const credential = await signRdfc(openBadge(dk.did), dk);
    const vp = await signVp(
      { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.did, verifiableCredential: [credential] },
      holder,
      'c-123',
      'verifier.example',
    );
    const { verifier } = makeVerifier();
    const r = await verifier.verifyPresentation(vp, { challenge: 'c-123', domain: 'verifier.example' });
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.format).toBe('presentation');
    expect(steps(r)).toMatchObject({ valid_signature: 'ok:SIGNATURE_INTACT', issuer_binding: 'ok:HOLDER_BOUND', nested_credentials: 'ok:NESTED_VERIFIED' });
    expect(r.nested![0]!.role).toBe('credential');
    expect(errorCodes(await verifier.verifyPresentation(vp, { challenge: 'other', domain: 'verifier.example' }))).toContain('CHALLENGE_MISMATCH');
    expect(errorCodes(await verifier.verifyPresentation(vp, { challenge: 'c-123', domain: 'evil.example' }))).toContain('DOMAIN_MISMATCH');
  });

  it('signed by someone else than the holder → HOLDER_MISMATCH; a bad credential inside → NESTED_INVALID', async () => {
    const credential = await signRdfc(openBadge(dk.did), dk);
    const vp = await signVp(
      { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: dk.did, verifiableCredential: [credential] },
      holder,
      'c',
    );
    const { verifier } = makeVerifier();
    expect(errorCodes(await verifier.verifyPresentation(vp, { challenge: 'c' }))).toContain('HOLDER_MISMATCH');
    const tampered = { ...credential, name: 'Autre' };
    const vp2 = await signVp(
      { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.did, verifiableCredential: [tampered] },
      holder,
      'c',
    );
    const r = await verifier.verifyPresentation(vp2, { challenge: 'c' });
    expect(steps(r)['nested_credentials']).toBe('FAIL:NESTED_INVALID');
    expect(errorCodes(r.nested![0]!)).toEqual(['SIGNATURE_INVALID']);
  });

  it('unsigned: refused when a challenge is required, otherwise a warning (credentials still verified)', async () => {
    const jwt = await new SignJWT({ ...openBadge(dk.did), iss: dk.did })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: dk.vmId })
      .sign(ed25519PrivateKey(2));
    const vp = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiablePresentation'],
      verifiableCredential: [
        { '@context': ['https://www.w3.org/ns/credentials/v2'], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${jwt}` },
      ],
    };
    const { verifier } = makeVerifier();
    expect(errorCodes(await verifier.verifyPresentation(vp, { challenge: 'c' }))).toEqual(['PRESENTATION_PROOF_MISSING']);
    const r = await verifier.verifyPresentation(vp);
    expect(r.verified).toBe(true);
    expect(warningCodes(r)).toEqual(['PRESENTATION_UNSIGNED']);
    expect(r.nested![0]!.format).toBe('vc-jwt');
  });

  it('a VP-JWT with nonce and aud', async () => {
    const credential = await signRdfc(openBadge(dk.did), dk);
    const vpJwt = await new SignJWT({
      vp: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [credential] },
      iss: holder.did,
      nonce: 'n-1',
      aud: 'verifier.example',
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: holder.vmId })
      .sign(ed25519PrivateKey(3));
    const { verifier } = makeVerifier();
    const r = await verifier.verifyPresentation(vpJwt, { challenge: 'n-1', domain: 'verifier.example' });
    expect(r.errors).toEqual([]);
    expect(errorCodes(await verifier.verifyPresentation(vpJwt, { challenge: 'n-2' }))).toContain('CHALLENGE_MISMATCH');
  });

  it('not a presentation → PRESENTATION_MALFORMED / TYPE_INVALID', async () => {
    const { verifier } = makeVerifier();
    expect(errorCodes(await verifier.verifyPresentation(42))).toEqual(['PRESENTATION_MALFORMED']);
    expect(errorCodes(await verifier.verifyPresentation({ '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'] }))).toContain(
      'TYPE_INVALID',
    );
  });
});

describe('endorsements and nested credentials', () => {
  it('an embedded EndorsementCredential is verified; a tampered one fails the credential', async () => {
    const endorser = await testKey(40);
    const endorsement = await signRdfc(
      {
        '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
        id: 'urn:uuid:9e1d7a54-4c47-4b4e-8d86-1f2f8e0c0a01',
        type: ['VerifiableCredential', 'EndorsementCredential'],
        name: 'Endorsement',
        issuer: { id: endorser.did, type: ['Profile'], name: 'Accréditeur' },
        validFrom: '2025-01-01T00:00:00Z',
        credentialSubject: { id: 'https://sceau.test/orgs/acme/achievements/secourisme-1', type: ['EndorsementSubject'], endorsementComment: 'Conforme.' },
      },
      endorser,
    );
    const withEndorsement = (e: Json) => {
      const c = openBadge(dk.did);
      ((c['credentialSubject'] as Json)['achievement'] as Json)['endorsement'] = [e];
      return c;
    };
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(await signRdfc(withEndorsement(endorsement), dk));
    expect(r.errors).toEqual([]);
    expect(steps(r)['endorsements']).toBe('ok:ENDORSEMENTS_VERIFIED');
    expect(r.nested![0]!.role).toBe('endorsement');
    const bad = await verifier.verifyCredential(await signRdfc(withEndorsement({ ...endorsement, name: 'Changed' }), dk));
    expect(bad.verified).toBe(false);
    expect(steps(bad)['endorsements']).toBe('FAIL:ENDORSEMENT_INVALID');
  });
});

describe('never throws', () => {
  it('answers every kind of input with a result', async () => {
    const { verifier } = makeVerifier();
    const cyclic: Json = { a: 1 };
    cyclic['self'] = cyclic;
    const inputs: unknown[] = [
      undefined,
      null,
      42,
      true,
      [],
      [1, 2],
      '',
      'garbage',
      '{not json',
      '{"__proto__":{"x":1}}',
      'a.b',
      'a.b.c.d.e',
      'x~y~',
      {},
      { proof: 1 },
      { '@context': 5 },
      {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: 'VerifiableCredential',
        issuer: 'did:key:zzz',
        credentialSubject: {},
        proof: {
          type: 'DataIntegrityProof',
          cryptosuite: 'eddsa-rdfc-2022',
          proofPurpose: 'assertionMethod',
          verificationMethod: 'did:key:z6Mkxx#z6Mkxx',
          proofValue: 'z1',
        },
      },
      cyclic,
      new Proxy(
        {},
        {
          get() {
            throw new Error('boom');
          },
          ownKeys() {
            throw new Error('boom');
          },
        },
      ),
    ];
    for (const [i, input] of inputs.entries()) {
      const r = await verifier.verifyCredential(input);
      expect(r.verified, `input #${i}`).toBe(false);
      expect(r.errors.length).toBeGreaterThan(0);
      const p = await verifier.verifyPresentation(input);
      expect(p.verified).toBe(false);
    }
  });
});
