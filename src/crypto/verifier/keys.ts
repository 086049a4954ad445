/**
 * Public keys, imported once (performance rule 1: the stock Ed25519 multikey re-imports the DER key on every
 * verify, ~0.45 ms each under OpenSSL 3). A key is cached under its verification-method id *and* its key
 * material, so a document that maps the same id to another key gets another entry: the cache never changes
 * a result.
 */
import crypto from 'node:crypto';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

export type KeyAlgorithm = 'Ed25519' | 'P-256' | 'P-384' | 'RSA';

export interface PublicKeyMaterial {
  id: string;
  type?: string;
  controller?: string;
  publicKeyMultibase?: string;
  publicKeyJwk?: Record<string, unknown>;
}

export interface CachedKey {
  algorithm: KeyAlgorithm;
  keyObject: crypto.KeyObject;
  /** The public JWK (no private members), for comparing key material across documents. */
  jwk: crypto.JsonWebKey;
}

export class KeyError extends Error {
  override readonly name = 'KeyError';
  constructor(
    readonly code: 'KEY_UNSUPPORTED' | 'JWT_PRIVATE_KEY_IN_HEADER',
    message: string,
  ) {
    super(message);
  }
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const MAX_CACHED = 2_000;
const cache = new Map<string, Promise<CachedKey>>();

function remember(key: string, make: () => Promise<CachedKey>): Promise<CachedKey> {
  const hit = cache.get(key);
  if (hit) return hit;
  const p = make();
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(key, p);
  p.catch(() => cache.delete(key));
  return p;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function algorithmOfJwk(jwk: Record<string, unknown>): KeyAlgorithm {
  if (jwk['kty'] === 'OKP' && jwk['crv'] === 'Ed25519') return 'Ed25519';
  if (jwk['kty'] === 'EC' && jwk['crv'] === 'P-256') return 'P-256';
  if (jwk['kty'] === 'EC' && jwk['crv'] === 'P-384') return 'P-384';
  if (jwk['kty'] === 'RSA') return 'RSA';
  throw new KeyError('KEY_UNSUPPORTED', `unsupported JWK (${String(jwk['kty'])}/${String(jwk['crv'])})`);
}

/** Imports a public JWK (refusing private members). */
export function importJwk(jwk: Record<string, unknown>, cacheId = ''): Promise<CachedKey> {
  if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) return Promise.reject(new KeyError('JWT_PRIVATE_KEY_IN_HEADER', 'private key material in a public JWK'));
  const publicOnly = Object.fromEntries(Object.entries(jwk).filter(([k]) => ['kty', 'crv', 'x', 'y', 'n', 'e'].includes(k)));
  return remember(`jwk|${cacheId}|${JSON.stringify(publicOnly, Object.keys(publicOnly).sort())}`, async () => {
    const algorithm = algorithmOfJwk(publicOnly);
    let keyObject: crypto.KeyObject;
    try {
      keyObject = crypto.createPublicKey({ key: publicOnly as crypto.JsonWebKey, format: 'jwk' });
    } catch {
      throw new KeyError('KEY_UNSUPPORTED', 'the JWK cannot be imported');
    }
    if (algorithm === 'RSA' && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
      throw new KeyError('KEY_UNSUPPORTED', 'RSA keys shorter than 2048 bits are refused');
    }
    return { algorithm, keyObject, jwk: keyObject.export({ format: 'jwk' }) };
  });
}

/** Imports the key of a verification method (Multikey Ed25519 / P-256 / P-384, or JsonWebKey). */
export function importVerificationMethod(vm: PublicKeyMaterial): Promise<CachedKey> {
  if (vm.publicKeyJwk && !vm.publicKeyMultibase) return importJwk(vm.publicKeyJwk, vm.id);
  const mb = vm.publicKeyMultibase;
  if (typeof mb !== 'string') return Promise.reject(new KeyError('KEY_UNSUPPORTED', 'no publicKeyMultibase or publicKeyJwk'));
  return remember(`mb|${vm.id}|${mb}`, async () => {
    try {
      if (mb.startsWith('z6Mk')) {
        const pair = (await Ed25519Multikey.from({ type: 'Multikey', id: vm.id, controller: vm.controller, publicKeyMultibase: mb })) as {
          publicKey: Uint8Array;
        };
        if (pair.publicKey.length !== 32) throw new Error('bad Ed25519 key length');
        const keyObject = crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(pair.publicKey)]), format: 'der', type: 'spki' });
        return { algorithm: 'Ed25519', keyObject, jwk: keyObject.export({ format: 'jwk' }) };
      }
      if (mb.startsWith('zDna') || mb.startsWith('z82L')) {
        const pair = await EcdsaMultikey.from({ type: 'Multikey', id: vm.id, controller: vm.controller, publicKeyMultibase: mb });
        const jwk = (await EcdsaMultikey.toJwk({ keyPair: pair })) as crypto.JsonWebKey;
        const keyObject = crypto.createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as crypto.JsonWebKey, format: 'jwk' });
        return { algorithm: jwk.crv === 'P-384' ? 'P-384' : 'P-256', keyObject, jwk: keyObject.export({ format: 'jwk' }) };
      }
    } catch {
      throw new KeyError('KEY_UNSUPPORTED', 'the multikey cannot be decoded');
    }
    throw new KeyError('KEY_UNSUPPORTED', 'unsupported multikey type');
  });
}

/** A verifier in the shape `@digitalbazaar/data-integrity` expects (`algorithm`, `verify({data, signature})`). */
export function dataIntegrityVerifier(id: string, key: CachedKey) {
  return {
    id,
    algorithm: key.algorithm,
    async verify({ data, signature }: { data: Uint8Array; signature: Uint8Array }): Promise<boolean> {
      try {
        if (key.algorithm === 'Ed25519') return crypto.verify(null, data, key.keyObject, signature);
        if (key.algorithm === 'P-256' || key.algorithm === 'P-384') {
          return crypto.verify(key.algorithm === 'P-256' ? 'sha256' : 'sha384', data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, signature);
        }
      } catch {
        return false;
      }
      return false;
    },
  };
}

/** Whether two keys are the same public key. */
export function sameKey(a: CachedKey, b: CachedKey): boolean {
  const fields = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;
  return fields.every((f) => a.jwk[f] === b.jwk[f]);
}

/** Multibase prefixes of the public keys Sceau can derive locally (did:key, key-in-fragment ids). */
export function isMultikeyFragment(s: string): boolean {
  return /^z(6Mk|Dna|82L)[1-9A-HJ-NP-Za-km-z]{20,}$/.test(s);
}
