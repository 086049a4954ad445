/**
 * The issuing signer: eddsa-rdfc-2022 Data Integrity proofs that are byte-for-byte what the stock
 * `@digitalbazaar/vc` + `data-integrity` + `eddsa-rdfc-2022-cryptosuite` pipeline produces, only faster
 * (performance.md, design rules 1–2):
 *  - each key is opened (secrets.open) and imported into a node:crypto KeyObject ONCE, then cached by key id;
 *  - the caller gives one `created` per batch, and the hash of the canonical proof options (which depend only on
 *    the document's `@context`, `created` and the verification method) is memoised;
 *  - the document itself is canonicalised with the cryptosuite's own `canonize` (RDFC-1.0, safe mode) through the
 *    strict loader: nothing is ever fetched. Bundled contexts are immutable, so they are tagged `static` and jsonld
 *    keeps them processed across operations (as @digitalbazaar/security-document-loader does); same output;
 *  - jsonld's active contexts are copied one level deep instead of recursively (jsonld-context-clone.ts, ~4× faster
 *    canonicalisation, identical output).
 * The same checks as `vc.issue` run first (`_checkCredential`, mode issue).
 */
import crypto from 'node:crypto';
import * as vc from '@digitalbazaar/vc';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { createList } from '@digitalbazaar/vc-bitstring-status-list';
import { SignJWT } from 'jose';
import type { CredentialSigner, SigningKey } from '../domain/credentials/ports.js';
import { AppError } from '../domain/shared/errors.js';
import type { Secrets } from '../domain/shared/ports.js';
import { type DocumentLoader, UnknownDocumentError, createDocumentLoader, staticContextLoader } from './document-loader.js';
import { installContextClone } from './jsonld-context-clone.js';
import { base58Encode, privateKeyObject } from './multikey.js';
import { checkCredentialStructure } from './verifier/document-checks.js';
import type { JsonObject } from '../domain/shared/model.js';

const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const DI_V2 = 'https://w3id.org/security/data-integrity/v2';
const MEMO_MAX = 512;

const sha256 = (text: string): Buffer => crypto.createHash('sha256').update(text, 'utf8').digest();

function includesContext(context: unknown, url: string): boolean {
  return context === url || (Array.isArray(context) && context.includes(url));
}

/** The proof options document exactly as DataIntegrityProof.canonizeProof builds it. */
function proofOptionsDocument(context: unknown, proof: JsonObject): JsonObject {
  const doc: JsonObject = { '@context': context, ...proof };
  if (!includesContext(context, DI_V2) && !includesContext(context, VC_V2)) {
    doc['@context'] = Array.isArray(context) ? [...context, DI_V2] : [context, DI_V2];
  }
  delete doc['proofValue'];
  return doc;
}

function causes(e: unknown): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  const stack = [e];
  while (stack.length && out.length < 20) {
    const x = stack.pop();
    if (!x || typeof x !== 'object' || seen.has(x)) continue;
    seen.add(x);
    out.push(x);
    const o = x as { cause?: unknown; details?: { cause?: unknown } };
    stack.push(o.cause, o.details?.cause);
  }
  return out;
}

/** Turns a canonicalisation or check failure into a clear, localisable error. */
/** Structure problems that make Sceau refuse to sign (others are reported by `vc._checkCredential` itself). */
const ISSUE_BLOCKERS = new Set(['PROPERTY_TYPE_MISSING', 'RELATED_RESOURCE_INVALID', 'ID_INVALID']);

export function signingError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  const all = causes(e);
  const unknown = all.find((x): x is UnknownDocumentError => x instanceof UnknownDocumentError || (x as { code?: string }).code === 'UNKNOWN_CONTEXT');
  if (unknown) return new AppError('CREDENTIAL_CONTEXT_UNKNOWN', { url: String(unknown.url ?? '').slice(0, 300) }, { cause: e });
  const safe = all.find((x) => /safe mode/i.test(String((x as Error).message ?? '')));
  if (safe) {
    const event = (safe as { details?: { event?: { code?: string; details?: Record<string, unknown> } } }).details?.event;
    const what = event?.details?.['property'] ?? event?.details?.['type'] ?? event?.details?.['term'] ?? event?.details?.['iri'];
    return new AppError('CREDENTIAL_UNDEFINED_TERM', { term: typeof what === 'string' ? what.slice(0, 200) : '?' }, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new AppError('CREDENTIAL_INVALID', { reason: message.slice(0, 300) }, { cause: e });
}

export interface CredentialSignerOptions {
  secrets: Pick<Secrets, 'open'>;
  /** Defaults to the strict loader over the bundled contexts (tests add fixtures). */
  documentLoader?: DocumentLoader;
}

export function createCredentialSigner(options: CredentialSignerOptions): CredentialSigner & {
  /** Signs with a key given as a Multikey secret (the W3C vector test; no sealing). */
  signWithSecret(
    document: JsonObject,
    key: { id: string; verificationMethod: string; secretKeyMultibase: string },
    o: { created: string },
  ): Promise<JsonObject>;
  readonly stats: { keyImports: number; memoHits: number; memoMisses: number };
} {
  installContextClone();
  const documentLoader = staticContextLoader(options.documentLoader ?? createDocumentLoader());
  const keys = new Map<string, crypto.KeyObject>();
  const memo = new Map<string, Promise<Buffer>>();
  const stats = { keyImports: 0, memoHits: 0, memoMisses: 0 };

  const keyObject = (id: string, secretKeyMultibase: () => string): crypto.KeyObject => {
    let k = keys.get(id);
    if (!k) {
      k = privateKeyObject(secretKeyMultibase());
      stats.keyImports += 1;
      keys.set(id, k);
    }
    return k;
  };
  const sealedKey = (key: SigningKey) => keyObject(key.id, () => options.secrets.open(key.secretKeySealed));

  const proofHash = (context: unknown, proof: JsonObject): Promise<Buffer> => {
    const memoKey = JSON.stringify([context, proof]);
    const hit = memo.get(memoKey);
    if (hit) {
      stats.memoHits += 1;
      return hit;
    }
    stats.memoMisses += 1;
    if (memo.size >= MEMO_MAX) memo.clear();
    const value = (
      cryptosuite.canonize(proofOptionsDocument(context, proof), { documentLoader, safe: true, base: null, skipExpansion: false }) as Promise<string>
    ).then(sha256);
    value.catch(() => memo.delete(memoKey));
    memo.set(memoKey, value);
    return value;
  };

  async function signWith(document: JsonObject, k: crypto.KeyObject, verificationMethod: string, created: string): Promise<JsonObject> {
    if (document['proof'] !== undefined) throw new AppError('CREDENTIAL_INVALID', { reason: 'the credential already carries a proof' });
    const input: JsonObject = { ...document };
    // As jsonld-signatures' sign (addSuiteContext): a document without the VC 2.0 or Data Integrity context gets
    // the Data Integrity context appended (VCDM 1.1 credentials).
    const context = input['@context'];
    if (!includesContext(context, DI_V2) && !includesContext(context, VC_V2)) {
      input['@context'] = Array.isArray(context) ? [...context, DI_V2] : context === undefined ? [DI_V2] : [context, DI_V2];
    }
    try {
      vc._checkCredential({ credential: input, mode: 'issue' });
      // Refuse what a conforming verifier would reject (untyped credentialSchema / refreshService…, malformed
      // relatedResource, non-URL ids): an issuer must not produce non-conforming documents (VCDM 2.0 §2.1).
      const conformance = checkCredentialStructure(input).problems.filter((p) => ISSUE_BLOCKERS.has(p.code));
      if (conformance.length) {
        const first = conformance[0]!;
        throw new AppError('CREDENTIAL_INVALID', { reason: `${first.code}${first.params ? ` ${JSON.stringify(first.params)}` : ''}` });
      }
      const proof: JsonObject = {
        type: 'DataIntegrityProof',
        created,
        verificationMethod,
        cryptosuite: 'eddsa-rdfc-2022',
        proofPurpose: 'assertionMethod',
      };
      const [optionsHash, documentHash] = await Promise.all([
        proofHash(input['@context'], proof),
        (cryptosuite.canonize(input, { documentLoader, base: null, safe: true }) as Promise<string>).then(sha256),
      ]);
      const signature = crypto.sign(null, Buffer.concat([optionsHash, documentHash]), k);
      return { ...input, proof: { ...proof, proofValue: `z${base58Encode(signature)}` } };
    } catch (e) {
      throw signingError(e);
    }
  }

  return {
    stats,
    sign: (document, key, o) => signWith(document, sealedKey(key), key.verificationMethod, o.created),
    signWithSecret: (document, key, o) =>
      signWith(
        document,
        keyObject(key.id, () => key.secretKeyMultibase),
        key.verificationMethod,
        o.created,
      ),

    async signJwt(credential, key) {
      const payload: JsonObject = { ...credential };
      delete payload['proof'];
      const issuer = credential['issuer'];
      const issuerId = typeof issuer === 'string' ? issuer : (issuer as { id?: unknown } | undefined)?.id;
      const subject = credential['credentialSubject'] as { id?: unknown } | undefined;
      const seconds = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Math.floor(Date.parse(v) / 1000) : undefined);
      if (typeof issuerId === 'string') payload['iss'] = issuerId;
      if (typeof credential['id'] === 'string') payload['jti'] = credential['id'];
      if (subject && typeof subject.id === 'string') payload['sub'] = subject.id;
      const nbf = seconds(credential['validFrom'] ?? credential['issuanceDate']);
      if (nbf !== undefined) payload['nbf'] = nbf;
      const exp = seconds(credential['validUntil'] ?? credential['expirationDate']);
      if (exp !== undefined) payload['exp'] = exp;
      return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: key.verificationMethod }).sign(sealedKey(key));
    },

    async encodeStatusList(length, setIndexes) {
      const list = await createList({ length });
      for (const i of setIndexes) list.setStatus(i, true);
      return (await list.encode()) as string;
    },

    forget(keyId) {
      keys.delete(keyId);
    },
  };
}
