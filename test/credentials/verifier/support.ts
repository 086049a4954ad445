/**
 * Verifier test kit: a fixed-seed Ed25519 issuer (did:key, and a did:web organisation "of this Sceau"), OB 3.0
 * credentials signed with the stock Digital Bazaar pipeline, an in-memory fetcher (no network), and vector loading.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { createSignCryptosuite as createEddsaJcs2022 } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import { createDocumentLoader } from '../../../src/crypto/document-loader.js';
import { GuardedFetchError } from '../../../src/crypto/guarded-fetch.js';
import { type CredentialVerifierDeps, createCredentialVerifier } from '../../../src/crypto/verifier/index.js';
import type { VerificationResult } from '../../../src/domain/credentials/verification.js';

/** `../shared/vectors` beside the checkout (CI clones the project next to `shared/`). */
export const VECTORS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/vectors');
export const vectorPath = (rel: string) => path.join(VECTORS, rel);
export const readVector = (rel: string): string => fs.readFileSync(vectorPath(rel), 'utf8');
export const loadVector = (rel: string): Record<string, unknown> => JSON.parse(readVector(rel)) as Record<string, unknown>;

export type Json = Record<string, unknown>;
export const documentLoader = createDocumentLoader();

export interface TestKey {
  did: string;
  vmId: string;
  publicKeyMultibase: string;
  signer: { id: string; algorithm: string; sign(o: { data: Uint8Array }): Promise<Uint8Array> };
}

/** An Ed25519 key from a fixed seed byte, as did:key or under a given controller (did:web). */
export async function testKey(seedByte: number, controller?: string, fragment?: string): Promise<TestKey> {
  const seed = new Uint8Array(32).fill(seedByte);
  const pair = await Ed25519Multikey.generate({ seed });
  const publicKeyMultibase = (await pair.export({ publicKey: true })).publicKeyMultibase as string;
  const did = controller ?? `did:key:${publicKeyMultibase}`;
  const vmId = `${did}#${fragment ?? publicKeyMultibase}`;
  pair.id = vmId;
  pair.controller = did;
  return { did, vmId, publicKeyMultibase, signer: pair.signer() };
}

/** A DID document listing keys under assertionMethod (and authentication). */
export function didDoc(
  did: string,
  keys: { vmId: string; publicKeyMultibase: string; extra?: Json }[],
  relations: string[] = ['assertionMethod', 'authentication'],
): Json {
  const doc: Json = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: keys.map((k) => ({ id: k.vmId, type: 'Multikey', controller: did, publicKeyMultibase: k.publicKeyMultibase, ...k.extra })),
  };
  for (const r of relations) doc[r] = keys.map((k) => k.vmId);
  return doc;
}

export const OWN_DID = 'did:web:sceau.test:orgs:acme';

/** An OB 3.0 OpenBadgeCredential in Sceau's shape (before signing). */
export function openBadge(issuer: string, overrides: Json = {}): Json {
  return {
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
      'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json',
    ],
    id: 'urn:uuid:2f6c1c56-2bb5-4c0b-9d0e-6d6f3f0a9a11',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: { id: issuer, type: ['Profile'], name: 'Acme Formation', url: 'https://acme.example', email: 'contact@acme.example' },
    name: 'Secourisme — niveau 1',
    validFrom: '2025-09-01T08:00:00Z',
    validUntil: '2030-09-01T08:00:00Z',
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [
        {
          type: 'IdentityObject',
          identityHash: 'sha256$8f1e0b0c1e0f6c7b9b6f2f6b4fd0a8b7d4e1f25c9c1b7d3a2e8b5c4d3e2f1a0b',
          identityType: 'emailAddress',
          hashed: true,
          salt: 'pepper-1',
        },
      ],
      achievement: {
        id: 'https://sceau.test/orgs/acme/achievements/secourisme-1',
        type: ['Achievement'],
        name: 'Secourisme — niveau 1',
        description: 'Gestes de premiers secours.',
        criteria: { narrative: 'Réussir l’évaluation pratique.' },
        image: { id: 'https://sceau.test/assets/badge.png', type: 'Image' },
        achievementType: 'Certificate',
        alignment: [
          { type: ['Alignment'], targetName: 'Premiers secours', targetUrl: 'https://esco.example/skill/1', targetType: 'ceasn:Competency' },
          { type: ['Alignment'], targetName: 'Communication', targetUrl: 'https://esco.example/skill/2', targetType: 'ceasn:Competency' },
        ],
      },
      result: [{ type: ['Result'], value: '18/20' }],
    },
    credentialSchema: [
      { id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json', type: '1EdTechJsonSchemaValidator2019' },
    ],
    ...overrides,
  };
}

/** Signs with the stock `@digitalbazaar/vc` issue (eddsa-rdfc-2022) and wraps the proof in an array like Sceau. */
export async function signRdfc(
  credential: Json,
  key: TestKey,
  created = '2025-09-01T08:00:00Z',
  options: { wrap?: boolean; extraContexts?: Record<string, unknown> } = {},
): Promise<Json> {
  const suite = new DataIntegrityProof({ signer: key.signer, cryptosuite: eddsaRdfc2022, date: created });
  const extra = options.extraContexts ?? {};
  // An issuer elsewhere may sign with contexts Sceau does not bundle: the test signer can be told about them.
  const loader = async (url: string) => (url in extra ? { contextUrl: null, documentUrl: url, document: extra[url] } : documentLoader(url));
  const signed = (await vc.issue({ credential: structuredClone(credential), suite, documentLoader: loader })) as Json;
  if (options.wrap !== false) signed['proof'] = ([] as unknown[]).concat(signed['proof']);
  return signed;
}

/** Adds an eddsa-jcs-2022 proof (a proof set: JCS binds the exact JSON, array order included). */
export async function addJcsProof(signed: Json, key: TestKey, created = '2025-09-01T08:00:00Z'): Promise<Json> {
  const unsigned = { ...signed };
  delete unsigned['proof'];
  const suite = new DataIntegrityProof({ signer: key.signer, cryptosuite: createEddsaJcs2022(), date: created });
  const withJcs = (await vc.issue({ credential: unsigned, suite, documentLoader })) as Json;
  return { ...signed, proof: [...([] as unknown[]).concat(signed['proof']), withJcs['proof']] };
}

/** An in-memory fetcher: known URLs answer their document, everything else fails like an unreachable host. */
export function memoryFetch(docs: Record<string, unknown> = {}) {
  const calls: string[] = [];
  const fetchJson = async (url: string) => {
    calls.push(url);
    const key = url.split('#')[0]!;
    if (key in docs) return structuredClone(docs[key]);
    throw new GuardedFetchError('FETCH_FAILED', `offline: ${url}`);
  };
  return { fetchJson, calls };
}

export const FIXED_NOW = new Date('2026-01-15T09:00:00Z');

export function makeVerifier(overrides: Partial<CredentialVerifierDeps> & { docs?: Record<string, unknown>; now?: Date } = {}) {
  const mem = memoryFetch(overrides.docs);
  const now = overrides.now ?? FIXED_NOW;
  const verifier = createCredentialVerifier({ clock: { now: () => now }, fetchJson: mem.fetchJson, ...overrides });
  return { verifier, calls: mem.calls };
}

/** "step:code" pairs of a log, for compact assertions. */
export const steps = (r: VerificationResult) => Object.fromEntries(r.log.map((s) => [s.id, `${s.valid ? 'ok' : 'FAIL'}:${s.code}`]));
export const errorCodes = (r: VerificationResult) => r.errors.map((e) => e.code);
export const warningCodes = (r: VerificationResult) => r.warnings.map((w) => w.code);

// ── status lists ────────────────────────────────────────────────────────────────────────────────

/** `u` + base64url(gzip(bits)), bit 0 left-most. */
export function encodeList(lengthBits: number, set: Iterable<number> = []): string {
  const bytes = new Uint8Array(Math.ceil(lengthBits / 8));
  for (const i of set) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return `u${zlib.gzipSync(bytes).toString('base64url')}`;
}

/** A BitstringStatusListCredential signed by `key` (issuer = key.did). */
export async function statusListCredential(
  url: string,
  key: TestKey,
  options: { purpose?: string; length?: number; set?: number[]; issuer?: string; encodedList?: string } = {},
): Promise<Json> {
  const credential: Json = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: options.issuer ?? key.did,
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: {
      id: `${url}#list`,
      type: 'BitstringStatusList',
      statusPurpose: options.purpose ?? 'revocation',
      encodedList: options.encodedList ?? encodeList(options.length ?? 131_072, options.set ?? []),
    },
  };
  return signRdfc(credential, key, '2025-01-01T00:00:00Z');
}

export function statusEntry(url: string, index: number | string, purpose = 'revocation', extra: Json = {}): Json {
  return {
    id: `${url}#${String(index)}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: purpose,
    statusListIndex: typeof index === 'number' ? String(index) : index,
    statusListCredential: url,
    ...extra,
  };
}

// ── JWT keys ────────────────────────────────────────────────────────────────────────────────────

/** The node:crypto private key of a fixed-seed Ed25519 test key. */
export function ed25519PrivateKey(seedByte: number): crypto.KeyObject {
  const seed = Buffer.alloc(32, seedByte);
  return crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
}

export function publicJwk(key: crypto.KeyObject): Json {
  const { kty, crv, x, y, n, e } = crypto.createPublicKey(key).export({ format: 'jwk' });
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined));
}

/** The did:key multibase of a P-256 / P-384 public key. */
export async function ecdsaMultibase(key: crypto.KeyObject): Promise<string> {
  const pair = await EcdsaMultikey.fromJwk({ jwk: publicJwk(key) });
  return ((await pair.export({ publicKey: true })) as { publicKeyMultibase: string }).publicKeyMultibase;
}
