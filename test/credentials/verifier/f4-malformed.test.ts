/**
 * F4: 2,000 malformed credentials, mutations of a valid signed OB 3.0 credential (fast-check, seed printed):
 * proof removed or duplicated, `type` changed, an unmapped property added (JSON-LD safe mode), `@context`
 * replaced by an unknown URL, 1,000 nested contexts, `id` not a URI, `validUntil` malformed, and a few more
 * (issuer, subject, proof fields). Pass: `verified: false` with the specific error code expected for that
 * mutation, for every case; nothing throws; nothing is fetched.
 *
 * Replay (see test/support/seed.ts): SCEAU_TEST_SEED=<seed> F4_RUNS=<n> TEST_DB=sqlite npx vitest run test/credentials/verifier/f4-malformed.test.ts
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CredentialVerifier } from '../../../src/domain/credentials/verification.js';
import { type Json, OWN_DID, didDoc, makeVerifier, openBadge, signRdfc, testKey } from './support.js';
import { SEED_ENV, seeded, testSeed } from '../../support/seed.js';

const RUNS = Number(process.env.F4_RUNS ?? 2000);
console.info(`[F4] ${RUNS} cases, seed ${testSeed()} (replay with ${SEED_ENV}=${testSeed()})`);

interface Case {
  kind: string;
  doc: unknown;
  /** Any of these codes must be among the errors. */
  expect: string[];
}

let signed: Json;
let verifier: CredentialVerifier;
let calls: string[];

beforeAll(async () => {
  const key = await testKey(9, OWN_DID, 'key-1');
  const doc = didDoc(OWN_DID, [key]);
  ({ verifier, calls } = makeVerifier({ resolveOwnDid: async (d) => (d === OWN_DID ? doc : undefined) }));
  signed = await signRdfc(openBadge(OWN_DID), key);
});

/** Paths of every object in the document (where a property can be added). */
function objectPaths(doc: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(doc)) doc.forEach((v, i) => objectPaths(v, [...path, i], out));
  else if (doc && typeof doc === 'object') {
    if (path[0] !== '@context') out.push(path);
    for (const [k, v] of Object.entries(doc)) objectPaths(v, [...path, k], out);
  }
  return out;
}

function at(doc: unknown, path: (string | number)[]): Record<string, unknown> {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], doc) as Record<string, unknown>;
}

function nestedContexts(depth: number): Json {
  let ctx: Json = { leaf: 'urn:leaf' };
  for (let i = 0; i < depth; i++) ctx = { [`t${i}`]: { '@id': `urn:t${i}`, '@context': ctx } };
  return ctx;
}

const word = fc.stringMatching(/^[a-z][a-zA-Z0-9]{2,12}$/);

function caseArbitrary(): fc.Arbitrary<Case> {
  const clone = () => structuredClone(signed);
  const proof = () => (signed['proof'] as Json[])[0]!;
  return fc.oneof(
    fc.constant(null).map((): Case => {
      const d = clone();
      delete d['proof'];
      return { kind: 'proof removed', doc: d, expect: ['PROOF_MISSING'] };
    }),
    fc.constant(null).map((): Case => ({ kind: 'proof duplicated', doc: { ...clone(), proof: [proof(), proof()] }, expect: ['PROOF_DUPLICATE'] })),
    fc
      .constant(null)
      .map((): Case => ({ kind: 'type without VerifiableCredential', doc: { ...clone(), type: ['OpenBadgeCredential'] }, expect: ['TYPE_INVALID'] })),
    word.map((w): Case => ({
      kind: 'type: an undefined term added',
      doc: { ...clone(), type: ['VerifiableCredential', 'OpenBadgeCredential', `Zz${w}`] },
      expect: ['UNDEFINED_TERM'],
    })),
    // (Not AchievementCredential: OB 3.0 defines it as an alias of OpenBadgeCredential — the same IRI, the same RDF.)
    fc
      .constantFrom('EndorsementCredential', 'VerifiablePresentation')
      .map((t): Case => ({ kind: 'type: another defined type', doc: { ...clone(), type: ['VerifiableCredential', t] }, expect: ['SIGNATURE_INVALID'] })),
    fc.record({ w: word, value: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()), pick: fc.nat() }).map(({ w, value, pick }): Case => {
      const d = clone();
      const paths = objectPaths(d);
      const target = at(d, paths[pick % paths.length]!);
      target[`zz${w}`] = value;
      return { kind: 'unmapped property added', doc: d, expect: ['UNDEFINED_TERM'] };
    }),
    fc.record({ host: word, replace: fc.boolean() }).map(({ host, replace }): Case => {
      const url = `https://${host}.example/contexts/v1.json`;
      const ctx = signed['@context'] as string[];
      return { kind: '@context: unknown URL', doc: { ...clone(), '@context': replace ? [ctx[0]!, url] : [...ctx, url] }, expect: ['UNKNOWN_CONTEXT'] };
    }),
    fc.constantFrom('deep', 'wide').map((shape): Case => {
      const ctx = signed['@context'] as string[];
      const extra = shape === 'deep' ? [nestedContexts(1000)] : Array.from({ length: 1000 }, (_, i) => ({ [`t${i}`]: `urn:t${i}` }));
      return { kind: `1,000 nested contexts (${shape})`, doc: { ...clone(), '@context': [...ctx, ...extra] }, expect: ['CONTEXT_TOO_COMPLEX'] };
    }),
    fc
      .oneof(
        fc.string({ maxLength: 30 }).map((s) => `not a uri ${s}`),
        fc.constantFrom('', '12345', 'urn uuid', 'http//x', ' https://a.example', 'https://a.example/ b'),
        fc.integer().map(String),
      )
      .map((id): Case => ({ kind: 'id not a URI', doc: { ...clone(), id }, expect: ['ID_INVALID'] })),
    fc
      .constantFrom(
        17,
        true,
        null,
        {},
        [],
        'tomorrow',
        '2026-13-01T00:00:00Z',
        '2026-02-30T00:00:00Z',
        '2026-01-01',
        '2026-01-01T25:00:00Z',
        '2026-01-01T00:00:00',
        '01/02/2027',
        '2026-01-01T00:00:00+25:00',
        '',
      )
      .map((v): Case => ({ kind: 'validUntil malformed', doc: { ...clone(), validUntil: v }, expect: ['DATE_INVALID'] })),
    fc
      .constantFrom('tomorrow', '2025-02-29T00:00:00Z', 42)
      .map((v): Case => ({ kind: 'validFrom malformed', doc: { ...clone(), validFrom: v }, expect: ['DATE_INVALID'] })),
    fc.constant(null).map((): Case => {
      const d = clone();
      delete d['issuer'];
      return { kind: 'issuer removed', doc: d, expect: ['ISSUER_MISSING'] };
    }),
    fc.constantFrom('', 'acme', 42).map((v): Case => ({ kind: 'issuer not a URL', doc: { ...clone(), issuer: v }, expect: ['ISSUER_INVALID'] })),
    fc.constant(null).map((): Case => {
      const d = clone();
      delete d['credentialSubject'];
      return { kind: 'subject removed', doc: d, expect: ['SUBJECT_MISSING'] };
    }),
    fc.constantFrom('z0OIl', 'x123', 'zzzzzz', '', 'z').map((v): Case => ({
      kind: 'proofValue garbled',
      doc: { ...clone(), proof: [{ ...proof(), proofValue: v }] },
      expect: ['PROOF_VALUE_MALFORMED', 'SIGNATURE_INVALID'],
    })),
    fc
      .constantFrom('authentication', 'capabilityInvocation', 'assertion')
      .map((v): Case => ({ kind: 'proofPurpose changed', doc: { ...clone(), proof: [{ ...proof(), proofPurpose: v }] }, expect: ['PROOF_PURPOSE_INVALID'] })),
    fc
      .constantFrom('eddsa-rdf-2022', 'eddsa-2022', 'bbs-2023')
      .map((v): Case => ({ kind: 'unknown cryptosuite', doc: { ...clone(), proof: [{ ...proof(), cryptosuite: v }] }, expect: ['NO_KNOWN_PROOF'] })),
    fc.constantFrom('did:example:123#k', 'did:key:zNotAKey#zNotAKey', `${OWN_DID}#nope`, 'urn:uuid:1234').map((v): Case => ({
      kind: 'verificationMethod changed',
      doc: { ...clone(), proof: [{ ...proof(), verificationMethod: v }] },
      expect: ['VERIFICATION_METHOD_UNRESOLVABLE'],
    })),
    fc
      .constantFrom('2025-09-01', 'yesterday')
      .map((v): Case => ({ kind: 'proof created malformed', doc: { ...clone(), proof: [{ ...proof(), created: v }] }, expect: ['PROOF_MALFORMED'] })),
    fc.constant(null).map((): Case => ({
      kind: 'first context not VC',
      doc: { ...clone(), '@context': [...(signed['@context'] as string[])].reverse() },
      expect: ['CONTEXT_INVALID'],
    })),
  );
}

describe('F4 malformed credentials', () => {
  it(`${RUNS} mutations: verified:false with the expected code, no crash, no fetch`, async () => {
    const byKind = new Map<string, number>();
    const failures: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(caseArbitrary(), async (c) => {
          byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
          const r = await verifier.verifyCredential(c.doc);
          const codes = r.errors.map((e) => e.code);
          const ok = r.verified === false && c.expect.some((code) => codes.includes(code)) && r.log.every((s) => typeof s.id === 'string');
          if (!ok && failures.length < 20) failures.push(`${c.kind}: verified=${r.verified} errors=${codes.join(',')}`);
          return ok;
        }),
        seeded({ numRuns: RUNS, endOnFailure: false }),
      )
      .catch((err: unknown) => {
        failures.push(String(err).slice(0, 2000));
      });
    console.info(`[F4] kinds: ${[...byKind].map(([k, n]) => `${k} ${n}`).join('; ')}`);
    expect(failures).toEqual([]);
    expect(byKind.size).toBeGreaterThanOrEqual(18);
    expect(calls).toEqual([]);
  }, 300_000);
});
