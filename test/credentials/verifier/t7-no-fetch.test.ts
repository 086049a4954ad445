/**
 * T7: no fetches from untrusted documents. A canary HTTP listener on 127.0.0.1 counts TCP connections. It is
 * referenced as an unknown @context URL, a did:web host (subject and issuer), an https key id (issuer), the
 * issuer's url, a statusListCredential, a
 * credentialSchema, an image URL and an endorsement, in credentials that are (a) unsigned, (b) signed by an
 * untrusted issuer, (c) signed by a trusted issuer (one of Sceau's organisations). The verifier runs with the
 * real guarded fetcher (no allowlist). Pass: 0 connections in every case.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch } from '../../../src/crypto/guarded-fetch.js';
import { createCredentialVerifier } from '../../../src/crypto/verifier/index.js';
import { FIXED_NOW, type Json, OWN_DID, type TestKey, didDoc, openBadge, signRdfc, statusEntry, statusListCredential, testKey } from './support.js';

let canary: http.Server;
let connections = 0;
let port = 0;
let own: TestKey;
let ownDoc: Json;
let untrusted: TestKey;

beforeAll(async () => {
  canary = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  canary.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
  port = (canary.address() as AddressInfo).port;
  own = await testKey(1, OWN_DID, 'key-1');
  ownDoc = didDoc(OWN_DID, [own]);
  untrusted = await testKey(66);
});

afterAll(async () => {
  await new Promise<void>((resolve) => canary.close(() => resolve()));
});

type Reference = 'context' | 'did:web' | 'issuer url' | 'status list' | 'schema' | 'image' | 'endorsement';
const REFERENCES: Reference[] = ['context', 'did:web', 'issuer url', 'status list', 'schema', 'image', 'endorsement'];

function withReference(issuer: string, ref: Reference): Json {
  const h = `127.0.0.1:${port}`;
  const c = openBadge(issuer);
  const achievement = (c['credentialSubject'] as Json)['achievement'] as Json;
  switch (ref) {
    case 'context':
      c['@context'] = [...(c['@context'] as string[]), `https://${h}/ctx.jsonld`, `http://${h}/ctx2.jsonld`];
      break;
    case 'did:web':
      (c['credentialSubject'] as Json)['id'] = `did:web:127.0.0.1%3A${port}:holder`;
      break;
    case 'issuer url':
      (c['issuer'] as Json)['url'] = `https://${h}/issuer`;
      break;
    case 'status list':
      c['credentialStatus'] = statusEntry(`https://${h}/status/1`, 5);
      break;
    case 'schema':
      c['credentialSchema'] = [
        { id: `https://${h}/schema.json`, type: '1EdTechJsonSchemaValidator2019' },
        { id: `http://${h}/schema2.json`, type: 'JsonSchema' },
      ];
      break;
    case 'image':
      achievement['image'] = { id: `https://${h}/badge.png`, type: 'Image' };
      (c['issuer'] as Json)['image'] = { id: `http://${h}/logo.png`, type: 'Image' };
      break;
    case 'endorsement':
      achievement['endorsement'] = [
        {
          ...openBadge(`did:web:127.0.0.1%3A${port}`),
          type: ['VerifiableCredential', 'EndorsementCredential'],
          proof: [
            {
              type: 'DataIntegrityProof',
              cryptosuite: 'eddsa-rdfc-2022',
              proofPurpose: 'assertionMethod',
              verificationMethod: `did:web:127.0.0.1%3A${port}#k`,
              proofValue: 'z3FXQqFwbZxKBxGxqFpCDabfRWH5VuV93aeCVE9URSoLwE7ZaoLV8bpXvEnyJ3wXRYUJfxQGAUFM5bWBRJahWeqBX',
            },
          ],
        },
      ];
      break;
  }
  return c;
}

/** A key whose id is an https URL on the canary, the public key in the fragment (signature checks without fetching). */
async function canaryKey(): Promise<TestKey> {
  const base = await testKey(67);
  return testKey(67, `https://127.0.0.1:${port}/issuer`, base.publicKeyMultibase);
}

describe('T7 the canary sees no connection', () => {
  it('unsigned, untrusted-signed and trusted-signed credentials referencing the canary everywhere: 0 connections', async () => {
    const attempts: string[] = [];
    const guard = createGuardedFetch();
    const fetchJson = async (url: string) => {
      attempts.push(url);
      return guard(url);
    };
    const verifier = createCredentialVerifier({
      clock: { now: () => FIXED_NOW },
      fetchJson,
      resolveOwnDid: async (d) => (d === OWN_DID ? ownDoc : undefined),
      getOwnStatusList: async () => undefined,
      isSuspended: async () => false,
    });
    const httpsKey = await canaryKey();
    const didWebKey = await testKey(68, `did:web:127.0.0.1%3A${port}`, 'k');
    const verdicts: string[] = [];
    // The signers elsewhere know the canary's contexts (an empty context); Sceau does not.
    const extraContexts = { [`https://127.0.0.1:${port}/ctx.jsonld`]: { '@context': {} }, [`http://127.0.0.1:${port}/ctx2.jsonld`]: { '@context': {} } };
    const sign = (doc: Json, key: TestKey) => signRdfc(doc, key, undefined, { extraContexts });
    for (const ref of REFERENCES) {
      const cases: [string, unknown][] = [
        ['unsigned', withReference(untrusted.did, ref)],
        ['untrusted did:key', await sign(withReference(untrusted.did, ref), untrusted)],
        ['untrusted https key id on the canary', await sign(withReference(httpsKey.did, ref), httpsKey)],
        ['untrusted did:web on the canary', await sign(withReference(didWebKey.did, ref), didWebKey)],
        ['trusted (own organisation)', await sign(withReference(OWN_DID, ref), own)],
      ];
      for (const [label, doc] of cases) {
        const r = await verifier.verifyCredential(doc);
        verdicts.push(`${ref} / ${label}: ${r.verified ? 'verified' : r.errors.map((e) => e.code).join(',')}`);
        const p = await verifier.verifyPresentation({
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['VerifiablePresentation'],
          verifiableCredential: [doc],
        });
        expect(p.nested?.length).toBe(1);
      }
    }
    if (process.env.T7_VERBOSE) console.info(verdicts.join('\n'));
    console.info(`[T7] ${verdicts.length} credentials; guard consulted for ${attempts.length} URL(s), all refused; canary connections: ${connections}`);
    expect(connections).toBe(0);
    // Where a fetch was attempted, it went through the guard (which refused the loopback address) and only for
    // what cannot be checked locally: a did:web key, a key's controller, or a trusted issuer's status list.
    for (const url of attempts) expect(url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}/(\\.well-known/did\\.json|issuer|status/1)$`));
    // A trusted credential whose status list cannot be fetched is not verified (status unknown), never valid.
    expect(verdicts.find((v) => v.startsWith('status list / trusted'))).toContain('STATUS_RETRIEVAL_ERROR');
    // Images, schemas and subject DIDs are never dereferenced: the trusted credentials carrying them verify.
    for (const ref of ['image', 'schema', 'did:web'] as const) expect(verdicts.find((v) => v.startsWith(`${ref} / trusted`))).toMatch(/verified$/);
    // Unknown contexts are refused, never fetched.
    expect(verdicts.filter((v) => v.startsWith('context /') && !v.includes('UNKNOWN_CONTEXT') && !v.includes('PROOF_MISSING'))).toEqual([]);
  }, 120_000);
});

describe('positive path through the real guard (test allowlist, loopback fixture server)', () => {
  it('a did:web issuer and its status list are fetched once each, after the local checks; revoked bit read', async () => {
    const served = new Map<string, unknown>();
    const requests: string[] = [];
    const fixture = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      const doc = served.get(req.url ?? '');
      if (doc === undefined) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    });
    await new Promise<void>((resolve) => fixture.listen(0, '127.0.0.1', resolve));
    try {
      const p = (fixture.address() as AddressInfo).port;
      const did = `did:web:127.0.0.1%3A${p}`;
      const key = await testKey(70, did, 'k');
      const list = `http://127.0.0.1:${p}/status/1`;
      served.set('/.well-known/did.json', didDoc(did, [key]));
      served.set('/status/1', await statusListCredential(list, key, { set: [9] }));
      const verifier = createCredentialVerifier({
        clock: { now: () => FIXED_NOW },
        fetchJson: createGuardedFetch({ allow: ['127.0.0.1'] }),
        allowLoopbackForTests: true,
      });
      const active = await verifier.verifyCredential(await signRdfc(openBadge(did, { credentialStatus: statusEntry(list, 8) }), key));
      expect(active.errors).toEqual([]);
      expect(active.verified).toBe(true);
      const revoked = await verifier.verifyCredential(await signRdfc(openBadge(did, { credentialStatus: statusEntry(list, 9) }), key));
      expect(revoked.errors.map((e) => e.code)).toEqual(['REVOKED']);
      // The guard's TTL cache: the DID document and the list were fetched once for both verifications.
      expect(requests.filter((u) => u === '/.well-known/did.json')).toHaveLength(1);
      expect(requests.filter((u) => u === '/status/1')).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => fixture.close(() => resolve()));
    }
  });

  it('an unreachable host is asked once per verification, however many nested credentials name it', async () => {
    const issuer = await canaryKey();
    const calls: string[] = [];
    const verifier = createCredentialVerifier({
      clock: { now: () => FIXED_NOW },
      fetchJson: async (url) => {
        calls.push(url);
        throw new Error('unreachable');
      },
    });
    const nested = await Promise.all(
      Array.from({ length: 5 }, (_, i) => signRdfc(openBadge(issuer.did, { id: `urn:uuid:00000000-0000-4000-8000-00000000000${i}` }), issuer)),
    );
    const presentation = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: nested };
    const r = await verifier.verifyPresentation(presentation);
    expect(r.nested).toHaveLength(5);
    expect(r.nested!.every((n) => n.errors.some((e) => e.code === 'ISSUER_UNCONFIRMED'))).toBe(true);
    expect(calls).toEqual([issuer.did]);
  });
});
