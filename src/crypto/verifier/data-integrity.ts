/**
 * Data Integrity proofs (`DataIntegrityProof` with eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019,
 * ecdsa-jcs-2019), through `@digitalbazaar/data-integrity` and the cryptosuites, with Sceau's order of work:
 *
 * 1. canonicalise the document and the proof options (strict loader: bundled contexts only, safe mode);
 * 2. resolve the verification method — locally when possible, remotely (guarded) only when the key itself
 *    must be fetched and the document passed the local checks;
 * 3. verify the signature with a key imported once (see keys.ts).
 *
 * Every proof of a known type in a proof set must verify; proofs of unknown types are reported (warnings) and
 * ignored; a proof with `previousProof` (proof chain) is verified over the document carrying the proofs it
 * names. `jsonld-signatures`' `verify` is not used because it accepts a set when *any* proof verifies and knows
 * nothing of chains; the per-proof steps are the library's own (`createVerifyData`, `verifySignature`).
 */
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as ecdsaRdfc2019 } from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import { createVerifyCryptosuite as createEcdsaJcs2019 } from '@digitalbazaar/ecdsa-jcs-2019-cryptosuite';
import { createVerifyCryptosuite as createEddsaJcs2022 } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { type DocumentLoader, UnknownDocumentError } from '../document-loader.js';
import { type JsonObject, asArray, isObject, parseDateTime } from './document-checks.js';
import { dataIntegrityVerifier, importVerificationMethod } from './keys.js';
import type { Problem } from './report.js';
import { ResolutionError, type ResolvedMethod, type Resolver } from './resolver.js';

interface Suite {
  jcs: boolean;
  ecdsa: boolean;
  cryptosuite: Record<string, unknown> & { createVerifyData?: (o: object) => Promise<Uint8Array> };
  proof: {
    createVerifyData(o: object): Promise<Uint8Array>;
    verifySignature(o: object): Promise<boolean>;
    ensureSuiteContext(o: object): void;
  };
}

/** The verifier hook: keys come from Sceau's cache instead of a fresh import per call. */
const createVerifier = async ({ verificationMethod }: { verificationMethod: { id: string } & Record<string, unknown> }) =>
  dataIntegrityVerifier(verificationMethod.id, await importVerificationMethod(verificationMethod));

/**
 * Canonical proof options, memoised (performance rule 2): a batch of credentials shares one `created` and one
 * key, so their proof options are identical. The key is the full proof configuration (proofValue aside) with the
 * document's `@context`; contexts are bundled and immutable, so the canonical form is a pure function of it.
 */
const MAX_PROOF_MEMO = 1_000;
const proofMemo = new Map<string, Promise<string>>();

function memoiseProofCanonicalisation(instance: {
  canonizeProof(proof: JsonObject, options: { document: JsonObject; documentLoader: unknown }): Promise<string>;
}): void {
  const original = instance.canonizeProof.bind(instance);
  instance.canonizeProof = (proof, options) => {
    const key = JSON.stringify([options.document['@context'] ?? null, { ...proof, proofValue: undefined }]);
    const hit = proofMemo.get(key);
    if (hit) return hit;
    const pending = original(proof, options);
    if (proofMemo.size >= MAX_PROOF_MEMO) proofMemo.delete(proofMemo.keys().next().value as string);
    proofMemo.set(key, pending);
    pending.catch(() => proofMemo.delete(key));
    return pending;
  };
}

function makeSuite(cryptosuite: Record<string, unknown>, jcs: boolean, ecdsa: boolean): Suite {
  const wrapped = { ...cryptosuite, createVerifier };
  const proof = new DataIntegrityProof({ cryptosuite: wrapped });
  if (!jcs && !ecdsa) memoiseProofCanonicalisation(proof);
  return { jcs, ecdsa, cryptosuite: wrapped, proof: proof as Suite['proof'] };
}

let suites: Map<string, Suite> | undefined;
function suiteFor(name: unknown): Suite | undefined {
  suites ??= new Map([
    ['eddsa-rdfc-2022', makeSuite(eddsaRdfc2022 as Record<string, unknown>, false, false)],
    ['eddsa-jcs-2022', makeSuite(createEddsaJcs2022() as Record<string, unknown>, true, false)],
    ['ecdsa-rdfc-2019', makeSuite(ecdsaRdfc2019 as Record<string, unknown>, false, true)],
    ['ecdsa-jcs-2019', makeSuite(createEcdsaJcs2019() as Record<string, unknown>, true, true)],
  ]);
  return typeof name === 'string' ? suites.get(name) : undefined;
}

export const KNOWN_CRYPTOSUITES = ['eddsa-rdfc-2022', 'eddsa-jcs-2022', 'ecdsa-rdfc-2019', 'ecdsa-jcs-2019'];

export function isKnownProof(p: unknown): boolean {
  return isObject(p) && p['type'] === 'DataIntegrityProof' && suiteFor(p['cryptosuite']) !== undefined;
}

export interface VerifiedProof {
  proof: JsonObject;
  method: ResolvedMethod;
}

export interface ProofOutcome {
  /** Proofs of known types that verified. */
  verified: VerifiedProof[];
  /** Failures (empty and `verified.length > 0` means the signature step passes). */
  problems: Problem[];
  /** Unknown proof types seen (warnings). */
  unknown: string[];
  /** A fetch was needed and refused or failed. */
  fetchFailed?: boolean;
}

/** Maps a library error to a verification code. */
export function problemOf(err: unknown, vmId?: string): Problem {
  if (err instanceof UnknownDocumentError) return { code: 'UNKNOWN_CONTEXT', params: { url: err.url } };
  if (err instanceof ResolutionError) {
    return { code: err.code === 'JWT_PRIVATE_KEY_IN_HEADER' ? 'KEY_UNSUPPORTED' : err.code, params: { id: vmId ?? '' }, details: { reason: err.message } };
  }
  const e = err as { message?: string; name?: string; details?: { cause?: unknown }; cause?: unknown };
  const cause = (e?.details?.cause ?? e?.cause) as unknown;
  if (cause instanceof UnknownDocumentError) return { code: 'UNKNOWN_CONTEXT', params: { url: cause.url } };
  const message = String(e?.message ?? '');
  if (/Safe mode validation error/i.test(message)) return { code: 'UNDEFINED_TERM', details: { reason: message.slice(0, 300) } };
  if (/multibase|base58|base64url|Non-base58|proofValue/i.test(message)) return { code: 'PROOF_VALUE_MALFORMED' };
  if (/algorithm/i.test(message)) return { code: 'KEY_UNSUPPORTED', details: { reason: message.slice(0, 300) } };
  if (/does not start with proof\.@context/.test(message)) return { code: 'PROOF_MALFORMED', params: { reason: '@context' } };
  if (typeof e?.name === 'string' && e.name.startsWith('jsonld.')) return { code: 'JSONLD_INVALID', params: { reason: message.slice(0, 200) } };
  if (/Dereferencing a URL did not result|loading document|Document not bundled/i.test(message)) return { code: 'UNKNOWN_CONTEXT', params: { url: '' } };
  return { code: 'JSONLD_INVALID', params: { reason: message.slice(0, 200) || 'processing failed' } };
}

function proofLabel(p: unknown): string {
  if (!isObject(p)) return typeof p;
  const t = typeof p['type'] === 'string' ? p['type'] : '?';
  return typeof p['cryptosuite'] === 'string' ? `${t}/${p['cryptosuite']}` : t;
}

export interface VerifyProofOptions {
  documentLoader: DocumentLoader;
  resolver: Resolver;
  purpose: 'assertionMethod' | 'authentication';
  /** Remote resolution of keys is allowed (the document passed the local checks). */
  allowRemote: boolean;
  challenge?: string;
  domain?: string;
}

/** Verifies every known proof of `doc`. Never throws. */
export async function verifyDataIntegrity(doc: JsonObject, options: VerifyProofOptions): Promise<ProofOutcome> {
  const out: ProofOutcome = { verified: [], problems: [], unknown: [] };
  const proofs = asArray(doc['proof'] as unknown);
  if (!proofs.length) {
    out.problems.push({ code: 'PROOF_MISSING' });
    return out;
  }
  const seen = new Set<string>();
  for (const p of proofs) {
    const key = JSON.stringify(p);
    if (seen.has(key)) {
      out.problems.push({ code: 'PROOF_DUPLICATE' });
      return out;
    }
    seen.add(key);
  }
  const unsecured: JsonObject = { ...doc };
  delete unsecured['proof'];
  const known = proofs.filter(isKnownProof) as JsonObject[];
  for (const p of proofs) if (!isKnownProof(p)) out.unknown.push(proofLabel(p));
  if (!known.length) {
    out.problems.push({ code: 'NO_KNOWN_PROOF', params: { type: out.unknown.join(', ') } });
    return out;
  }
  const byId = new Map<string, JsonObject>();
  for (const p of proofs) if (isObject(p) && typeof p['id'] === 'string') byId.set(p['id'], p);

  for (const proof of known) {
    const problem = await verifyOne(proof, unsecured, byId, options, out);
    if (problem) out.problems.push(problem);
  }
  return out;
}

async function verifyOne(
  proof: JsonObject,
  unsecured: JsonObject,
  byId: Map<string, JsonObject>,
  options: VerifyProofOptions,
  out: ProofOutcome,
): Promise<Problem | undefined> {
  const suite = suiteFor(proof['cryptosuite'])!;
  if (proof['proofPurpose'] !== options.purpose) return { code: 'PROOF_PURPOSE_INVALID', params: { expected: options.purpose } };
  const vmRef = isObject(proof['verificationMethod']) ? proof['verificationMethod']['id'] : proof['verificationMethod'];
  if (typeof vmRef !== 'string' || !vmRef) return { code: 'PROOF_MALFORMED', params: { reason: 'verificationMethod' } };
  if (typeof proof['proofValue'] !== 'string' || !/^[zu]/.test(proof['proofValue'])) return { code: 'PROOF_VALUE_MALFORMED' };
  for (const field of ['created', 'expires'] as const) {
    if (proof[field] !== undefined && !parseDateTime(proof[field])) return { code: 'PROOF_MALFORMED', params: { reason: field } };
  }
  if (options.purpose === 'authentication') {
    if (options.challenge !== undefined && proof['challenge'] !== options.challenge) return { code: 'CHALLENGE_MISMATCH' };
    if (options.domain !== undefined && !asArray(proof['domain'] as unknown).includes(options.domain)) return { code: 'DOMAIN_MISMATCH' };
  }

  // Proof chain: the proofs named by previousProof are part of what this proof signed.
  let document: JsonObject = unsecured;
  if (proof['previousProof'] !== undefined) {
    const ids = asArray(proof['previousProof'] as unknown);
    const previous = ids.map((id) => (typeof id === 'string' ? byId.get(id) : undefined));
    if (!ids.length || previous.some((p) => p === undefined)) return { code: 'PROOF_CHAIN_INVALID' };
    document = { ...unsecured, proof: previous.length === 1 ? previous[0] : previous };
  }

  // 1. Canonicalise (local: bundled contexts, safe mode).
  let verifyData: Uint8Array;
  const libProof: JsonObject = suite.jcs ? { ...proof } : { '@context': unsecured['@context'], ...proof };
  // ECDSA hashes with SHA-256 or SHA-384 after the curve; the signature length tells it before the key is resolved.
  const curve = suite.ecdsa ? (signatureLength(String(proof['proofValue'])) === 96 ? 'P-384' : 'P-256') : undefined;
  const dataIntegrityProof = { signer: { algorithm: curve }, ensureSuiteContext: (o: object) => suite.proof.ensureSuiteContext(o) };
  try {
    if (suite.cryptosuite.createVerifyData) {
      verifyData = await suite.cryptosuite.createVerifyData({
        cryptosuite: suite.cryptosuite,
        document: suite.jcs ? { ...document } : document,
        proof: libProof,
        documentLoader: options.documentLoader,
        dataIntegrityProof,
      });
    } else {
      verifyData = await suite.proof.createVerifyData({ document, proof: libProof, documentLoader: options.documentLoader });
    }
  } catch (err) {
    return problemOf(err);
  }

  // 2. Resolve the key: locally, or remotely only when allowed.
  let method: ResolvedMethod | undefined;
  try {
    method = await options.resolver.local(vmRef);
    if (!method) {
      if (!options.allowRemote) return { code: 'VERIFICATION_METHOD_UNRESOLVABLE', params: { id: vmRef } };
      method = await options.resolver.remote(vmRef);
    }
  } catch (err) {
    if (err instanceof ResolutionError && err.fetchCode) out.fetchFailed = true;
    return problemOf(err, vmRef);
  }
  if (curve && method.key.algorithm !== curve) return { code: 'KEY_UNSUPPORTED', details: { reason: `${curve} signature, ${method.key.algorithm} key` } };

  // 3. Verify the signature.
  try {
    const ok = await suite.proof.verifySignature({ verifyData, verificationMethod: { ...method.vm, id: vmRef }, proof: libProof });
    if (!ok) return { code: 'SIGNATURE_INVALID' };
  } catch (err) {
    return problemOf(err, vmRef);
  }
  out.verified.push({ proof, method });
  return undefined;
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** Decoded byte length of a multibase proof value (base58btc `z…` or base64url `u…`), or -1. */
function signatureLength(value: string): number {
  if (value.startsWith('u')) return Buffer.from(value.slice(1), 'base64url').length;
  if (!value.startsWith('z')) return -1;
  const digits = value.slice(1);
  let bytes: number[] = [0];
  for (const ch of digits) {
    let carry = B58.indexOf(ch);
    if (carry < 0) return -1;
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i]! * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  let zeros = 0;
  while (digits[zeros] === '1') zeros += 1;
  if (bytes.length === 1 && bytes[0] === 0) bytes = [];
  return bytes.length + zeros;
}
