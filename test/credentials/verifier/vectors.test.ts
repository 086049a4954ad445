/**
 * Every shared vector (../shared/vectors) judged exactly as SOURCES.md says. Offline: the in-memory fetcher
 * knows nothing unless a test supplies a document, and its calls are recorded.
 */
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import { describe, expect, it } from 'vitest';
import { documentLoader, errorCodes, loadVector, makeVerifier, readVector, steps, warningCodes } from './support.js';

const OB30 = '1edtech-validator/ob30/';
const CLR20 = '1edtech-validator/clr20/';

/** "Signature intact; issuer unconfirmed offline": the 1EdTech verdict for https-fragment keys. */
function expectIntactButUnconfirmed(r: Awaited<ReturnType<ReturnType<typeof makeVerifier>['verifier']['verifyCredential']>>) {
  expect(r.verified).toBe(false);
  const s = steps(r);
  expect(s['valid_signature']).toBe('ok:SIGNATURE_INTACT');
  expect(s['registered_issuer']).toBe('FAIL:ISSUER_UNCONFIRMED');
  expect(errorCodes(r)).not.toContain('SIGNATURE_INVALID');
}

describe('W3C vc-di-eddsa vectors', () => {
  it('eddsa-rdfc-2022 signedDataInt: the proof verifies (issuer is not the key controller by design)', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector('w3c-vc-di-eddsa/eddsa-rdfc-2022_signedDataInt.json'));
    expect(steps(r)['valid_signature']).toBe('ok:SIGNATURE_INTACT');
    // Proof level passes; the full verdict applies Sceau's issuer = key controller rule.
    expect(steps(r)['issuer_binding']).toBe('FAIL:ISSUER_KEY_MISMATCH');
    expect(r.verified).toBe(false);
  });

  it('employ signedDataInt: unknown context → UNKNOWN_CONTEXT, and nothing is fetched', async () => {
    const { verifier, calls } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector('w3c-vc-di-eddsa/eddsa-rdfc-2022_employ_signedDataInt.json'));
    expect(r.verified).toBe(false);
    expect(steps(r)['valid_signature']).toBe('FAIL:UNKNOWN_CONTEXT');
    expect(r.errors.find((e) => e.code === 'UNKNOWN_CONTEXT')?.message).toContain('https://w3id.org/citizenship/v4rc1');
    expect(calls).toEqual([]);
  });

  it('eddsa-jcs-2022 signedJCS: the proof verifies', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector('w3c-vc-di-eddsa/eddsa-jcs-2022_signedJCS.json'));
    expect(steps(r)['valid_signature']).toBe('ok:SIGNATURE_INTACT');
    expect(r.log.find((s) => s.id === 'valid_signature')?.details?.['proofs']).toEqual(['eddsa-jcs-2022']);
  });

  it("signing unsigned.json with keyPair.json and the vector's created reproduces proofValue byte for byte", async () => {
    const keyPair = loadVector('w3c-vc-di-eddsa/keyPair.json') as { publicKeyMultibase: string; privateKeyMultibase: string };
    const expected = loadVector('w3c-vc-di-eddsa/eddsa-rdfc-2022_signedDataInt.json') as { proof: Record<string, string> };
    const did = `did:key:${keyPair.publicKeyMultibase}`;
    const key = await Ed25519Multikey.from({
      type: 'Multikey',
      id: `${did}#${keyPair.publicKeyMultibase}`,
      controller: did,
      publicKeyMultibase: keyPair.publicKeyMultibase,
      secretKeyMultibase: keyPair.privateKeyMultibase,
    });
    const suite = new DataIntegrityProof({ signer: key.signer(), cryptosuite: eddsaRdfc2022, date: expected.proof['created'] });
    const signed = (await vc.issue({ credential: loadVector('w3c-vc-di-eddsa/unsigned.json'), suite, documentLoader })) as { proof: Record<string, string> };
    expect(signed.proof['proofValue']).toBe(expected.proof['proofValue']);
    expect(signed.proof).toEqual(expected.proof);
  });

  it('proof set (signedProofSet2): every proof verifies', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector('w3c-vc-di-eddsa/proof-set-chain_signedProofSet2.json'));
    expect(steps(r)['valid_signature']).toBe('ok:SIGNATURE_INTACT');
    expect(r.log.find((s) => s.id === 'valid_signature')?.details?.['proofs']).toHaveLength(2);
  });

  it('proof chain (signedProofChain2): every proof of the chain verifies, previousProof included', async () => {
    const { verifier } = makeVerifier();
    const doc = loadVector('w3c-vc-di-eddsa/proof-set-chain_signedProofChain2.json');
    const r = await verifier.verifyCredential(doc);
    expect(steps(r)['valid_signature']).toBe('ok:SIGNATURE_INTACT');
    expect(r.log.find((s) => s.id === 'valid_signature')?.details?.['proofs']).toHaveLength(4);
    // Dropping a proof the chain depends on breaks it; tampering with a chained proof's value breaks it.
    const proofs = doc['proof'] as Record<string, unknown>[];
    const broken = await verifier.verifyCredential({ ...doc, proof: proofs.filter((p) => p['id'] !== 'urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23') });
    expect(errorCodes(broken)).toContain('PROOF_CHAIN_INVALID');
    const swapped = structuredClone(proofs);
    swapped[3]!['previousProof'] = 'urn:uuid:26329423-bec9-4b2e-88cb-a7c7d9dc4544';
    expect(errorCodes(await verifier.verifyCredential({ ...doc, proof: swapped }))).toContain('SIGNATURE_INVALID');
  });
});

describe('W3C vc-di-ecdsa vectors', () => {
  for (const [file, suite] of [
    ['ecdsa-rdfc-2019-p256_signedECDSAP256.json', 'ecdsa-rdfc-2019'],
    ['ecdsa-rdfc-2019-p384_signedECDSAP384.json', 'ecdsa-rdfc-2019'],
    ['ecdsa-jcs-2019-p256_signedJCSECDSAP256.json', 'ecdsa-jcs-2019'],
  ] as const) {
    it(`${file}: the proof verifies`, async () => {
      const { verifier } = makeVerifier();
      const r = await verifier.verifyCredential(loadVector(`w3c-vc-di-ecdsa/${file}`));
      expect(steps(r)['valid_signature']).toBe('ok:SIGNATURE_INTACT');
      expect(r.log.find((s) => s.id === 'valid_signature')?.details?.['proofs']).toEqual([suite]);
    });
  }
});

describe('OB 3.0 / CLR 2.0 implementation-guide vectors', () => {
  it('ob3-spec-impl-guide-signed.json verifies (proof as an object is accepted by the schema step)', async () => {
    const { verifier } = makeVerifier();
    const doc = loadVector('ob3-spec-impl-guide-signed.json');
    expect(Array.isArray(doc['proof'])).toBe(false);
    const r = await verifier.verifyCredential(doc);
    expect(steps(r)['schema']).toBe('ok:SCHEMA_VALID');
    expectIntactButUnconfirmed(r);
    // With its issuer's controller document available, it is fully verified.
    const controller = 'https://example.edu/issuers/565049';
    const vmId = vmOf(doc);
    const { verifier: online } = makeVerifier({ docs: { [controller]: controllerDoc(controller, vmId) } });
    const full = await online.verifyCredential(doc);
    expect(full.errors).toEqual([]);
    expect(full.verified).toBe(true);
    expect(steps(full)['registered_issuer']).toBe('ok:ISSUER_RESOLVED');
  });

  it('clr2-spec-impl-guide-signed.json: the outer ClrCredential and every nested credential verify', async () => {
    const { verifier } = makeVerifier();
    const doc = loadVector('clr2-spec-impl-guide-signed.json');
    const r = await verifier.verifyCredential(doc);
    expectIntactButUnconfirmed(r);
    expect(r.nested).toHaveLength(1);
    for (const n of r.nested!) {
      expect(n.role).toBe('nested');
      expect(steps(n)['schema']).toBe('ok:SCHEMA_VALID');
      expectIntactButUnconfirmed(n);
    }
    const controller = 'https://example.edu/issuers/565049';
    const vmId = vmOf(doc);
    const { verifier: online } = makeVerifier({ docs: { [controller]: controllerDoc(controller, vmId) } });
    const full = await online.verifyCredential(doc);
    expect(full.verified).toBe(true);
    expect(steps(full)['nested_credentials']).toBe('ok:NESTED_VERIFIED');
    expect(full.nested!.every((n) => n.verified)).toBe(true);
  });
});

/** The verification method of a vector's (first) proof. */
function vmOf(doc: Record<string, unknown>): string {
  return ([] as Record<string, string>[]).concat(doc['proof'] as Record<string, string>)[0]!['verificationMethod']!;
}

/** A controller document for an https issuer listing a key-in-fragment id under assertionMethod. */
function controllerDoc(controller: string, vmId: string) {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: controller,
    verificationMethod: [{ id: vmId, type: 'Multikey', controller, publicKeyMultibase: vmId.split('#')[1] }],
    assertionMethod: [vmId],
  };
}

describe('1EdTech validator fixtures (SOURCES.md table)', () => {
  for (const name of ['simple.json', 'simple-context-alias.json', 'simple-did-web-method.json', 'endorsement-valid.json']) {
    it(`ob30/${name}: signature intact; issuer unconfirmed offline`, async () => {
      const { verifier } = makeVerifier();
      const r = await verifier.verifyCredential(loadVector(OB30 + name));
      expectIntactButUnconfirmed(r);
      expect(r.errors.map((e) => e.code)).toEqual(['ISSUER_UNCONFIRMED']);
    });
  }

  it('ob30/simple-context-version.json: as above, plus a warning about the 3.0.2 context', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector(`${OB30}simple-context-version.json`));
    expectIntactButUnconfirmed(r);
    expect(warningCodes(r)).toContain('CONTEXT_VERSION_OUTDATED');
    expect(r.warnings.find((w) => w.code === 'CONTEXT_VERSION_OUTDATED')?.message).toContain('context-3.0.2.json');
  });

  it('ob30/simple-multiple-proofs.json: the known proof verifies; the unknown one is a warning', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector(`${OB30}simple-multiple-proofs.json`));
    expectIntactButUnconfirmed(r);
    expect(r.warnings.find((w) => w.code === 'PROOF_TYPE_UNKNOWN')?.message).toContain('SomeProofType');
  });

  it('ob30/simple-did-key-method.json: bare did:key method, issuer ≠ key controller → not verified, clear reason', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector(`${OB30}simple-did-key-method.json`));
    expect(r.verified).toBe(false);
    expect(steps(r)['issuer_binding']).toBe('FAIL:VERIFICATION_METHOD_BARE_DID');
    expect(errorCodes(r)).toEqual(expect.arrayContaining(['VERIFICATION_METHOD_BARE_DID', 'ISSUER_KEY_MISMATCH']));
    expect(r.errors.find((e) => e.code === 'VERIFICATION_METHOD_BARE_DID')?.message).toContain('did:key:z6Mk');
  });

  it('ob30/complete.json: not verified, with the reasons (fake endorsement proofs, unsupported status)', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector(`${OB30}complete.json`));
    expect(r.verified).toBe(false);
    expect(steps(r)['endorsements']).toBe('FAIL:ENDORSEMENT_INVALID');
    expect(steps(r)['revocation_status']).toBe('FAIL:STATUS_TYPE_UNSUPPORTED');
    const endorsements = r.nested!.filter((n) => n.role === 'endorsement');
    expect(endorsements.length).toBeGreaterThan(0);
    // The endorsement with the non-existent `eddsa-rdf-2022` suite: no supported proof.
    expect(endorsements.some((n) => errorCodes(n).includes('NO_KNOWN_PROOF'))).toBe(true);
  });

  it('ob30/credential-status-revoked.json: revoked when the list is supplied; status unknown offline', async () => {
    const doc = loadVector(`${OB30}credential-status-revoked.json`);
    const offline = makeVerifier();
    const r1 = await offline.verifier.verifyCredential(doc);
    expect(r1.verified).toBe(false);
    expect(steps(r1)['revocation_status']).toBe('FAIL:STATUS_UNKNOWN');
    // The list is never fetched for an unconfirmed issuer (T7).
    expect(offline.calls.filter((u) => u.includes('testlist'))).toEqual([]);

    const entry = doc['credentialStatus'] as Record<string, string>;
    const issuer = 'https://1edtech.edu/issuers/565049';
    const vmId = vmOf(doc);
    const online = makeVerifier({ docs: { [entry['statusListCredential']!]: loadVector(`${OB30}testlist`), [issuer]: controllerDoc(issuer, vmId) } });
    const r2 = await online.verifier.verifyCredential(doc);
    expect(r2.verified).toBe(false);
    expect(steps(r2)['registered_issuer']).toBe('ok:ISSUER_RESOLVED');
    expect(steps(r2)['revocation_status']).toBe('FAIL:REVOKED');
    expect(errorCodes(r2)).toEqual(['REVOKED']);

    // The list supplied but its issuer unconfirmed: status unknown, never valid.
    const listOnly = makeVerifier({ docs: { [entry['statusListCredential']!]: loadVector(`${OB30}testlist`) } });
    expect(steps(await listOnly.verifier.verifyCredential(doc))['revocation_status']).toBe('FAIL:STATUS_UNKNOWN');
  });

  const invalid: [string, string, string][] = [
    ['simple-err-context.json', 'schema', 'CONTEXT_INVALID'],
    ['simple-err-expired.json', 'expiration', 'EXPIRED'],
    ['simple-err-issued.json', 'validity_start', 'NOT_YET_VALID'],
    ['simple-err-issuer.json', 'schema', 'ISSUER_MISSING'],
    ['simple-err-proof-method.json', 'valid_signature', 'KEY_UNSUPPORTED'],
    ['simple-err-proof-value.json', 'valid_signature', 'SIGNATURE_INVALID'],
    ['simple-err-type.json', 'valid_signature', 'UNDEFINED_TERM'],
  ];
  for (const [name, step, code] of invalid) {
    it(`ob30/${name}: not verified (${code})`, async () => {
      const { verifier } = makeVerifier();
      const r = await verifier.verifyCredential(loadVector(OB30 + name));
      expect(r.verified).toBe(false);
      expect(steps(r)[step]).toBe(`FAIL:${code}`);
    });
  }

  it('ob30/simple.jwt: no jwk nor kid in the header → not verified (JWT_NO_KEY)', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(readVector(`${OB30}simple.jwt`));
    expect(r.verified).toBe(false);
    expect(r.format).toBe('vc-jwt');
    expect(steps(r)['valid_signature']).toBe('FAIL:JWT_NO_KEY');
  });

  it('clr20/simple.json: outer and nested signatures intact; issuers unconfirmed offline', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector(`${CLR20}simple.json`));
    expectIntactButUnconfirmed(r);
    expect(r.nested?.length).toBeGreaterThan(0);
    for (const n of r.nested!) expectIntactButUnconfirmed(n);
  });

  it('clr20/simple.jwt: signature intact (key in the header jwk, legacy vc claim); issuer unconfirmed', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(readVector(`${CLR20}simple.jwt`));
    expect(r.format).toBe('vc-jwt');
    expectIntactButUnconfirmed(r);
    expect((r.credential as Record<string, unknown>)['type']).toEqual(['VerifiableCredential', 'ClrCredential']);
    for (const n of r.nested!) expectIntactButUnconfirmed(n);
  });

  it('clr20/simple-noproof.json: no proof → not verified', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector(`${CLR20}simple-noproof.json`));
    expect(r.verified).toBe(false);
    expect(steps(r)['valid_signature']).toBe('FAIL:PROOF_MISSING');
  });

  it('ob30/testlist is a status list credential: its own signature is intact', async () => {
    const { verifier } = makeVerifier();
    const r = await verifier.verifyCredential(loadVector(`${OB30}testlist`));
    expectIntactButUnconfirmed(r);
  });
});
