/**
 * Ed25519 keys as Multikeys (W3C Controlled Identifiers, `publicKeyMultibase` z6Mk…, `secretKeyMultibase` z3u2…)
 * and as node:crypto KeyObjects. Keys are imported into KeyObjects ONCE and cached by the callers
 * (performance rule 1: the stock libraries re-import the DER key on every sign and verify).
 */
import crypto from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

/** base58btc (the Bitcoin alphabet), as multibase uses it after the `z` prefix. */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j]! << 8;
      digits[j] = carry % 58;
      carry = (carry / 58) | 0;
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = (carry / 58) | 0;
    }
  }
  let out = '1'.repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += ALPHABET[digits[i]!];
  return out;
}

export function base58Decode(text: string): Uint8Array {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  const bytes: number[] = [];
  for (let i = zeros; i < text.length; i++) {
    const value = INDEX.get(text[i]!);
    if (value === undefined) throw new Error('invalid base58 character');
    let carry = value;
    for (let j = 0; j < bytes.length; j++) {
      carry += bytes[j]! * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[zeros + i] = bytes[bytes.length - 1 - i]!;
  return out;
}

/** Multicodec headers: ed25519-pub (0xed) and ed25519-priv (0x1300), varint-encoded. */
const ED25519_PUB = Uint8Array.of(0xed, 0x01);
const ED25519_PRIV = Uint8Array.of(0x80, 0x26);
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function multibase(header: Uint8Array, key: Uint8Array): string {
  const bytes = new Uint8Array(header.length + key.length);
  bytes.set(header);
  bytes.set(key, header.length);
  return `z${base58Encode(bytes)}`;
}

function unMultibase(value: string, header: Uint8Array, sizes: number[]): Uint8Array {
  if (typeof value !== 'string' || value[0] !== 'z') throw new Error('not a base58btc multibase value');
  const bytes = base58Decode(value.slice(1));
  if (bytes[0] !== header[0] || bytes[1] !== header[1]) throw new Error('unexpected multicodec header');
  const key = bytes.subarray(2);
  if (!sizes.includes(key.length)) throw new Error(`unexpected key length ${key.length}`);
  return key;
}

export const encodePublicKey = (raw: Uint8Array): string => multibase(ED25519_PUB, raw);
/** The 32-byte seed (a 64-byte seed‖public key, as some libraries write it, is accepted on decode). */
export const encodeSecretKey = (seed: Uint8Array): string => multibase(ED25519_PRIV, seed);
export const decodePublicKey = (value: string): Uint8Array => unMultibase(value, ED25519_PUB, [32]);
export const decodeSecretKey = (value: string): Uint8Array => unMultibase(value, ED25519_PRIV, [32, 64]).subarray(0, 32);

export function privateKeyObject(secretKeyMultibase: string): crypto.KeyObject {
  const seed = decodeSecretKey(secretKeyMultibase);
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyObject(publicKeyMultibase: string): crypto.KeyObject {
  const raw = decodePublicKey(publicKeyMultibase);
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** A fresh Ed25519 key pair as Multikey strings. */
export function generateEd25519(): { publicKeyMultibase: string; secretKeyMultibase: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { publicKeyMultibase: encodePublicKey(pub), secretKeyMultibase: encodeSecretKey(seed) };
}

/** The public key of a secret key (to check a stored pair belongs together). */
export function publicKeyOf(secretKeyMultibase: string): string {
  const pub = crypto.createPublicKey(privateKeyObject(secretKeyMultibase)).export({ format: 'der', type: 'spki' });
  return encodePublicKey(pub.subarray(SPKI_PREFIX.length));
}
