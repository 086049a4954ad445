/**
 * W3C Bitstring Status List: the bit is read here. (`@digitalbazaar/vc-bitstring-status-list` answers
 * `verified: true` for a revoked credential — `verified` only means "the check ran" — so Sceau reads the bit.)
 *
 * Fails closed: a list that cannot be fetched, does not verify, was not issued by the credential's issuer,
 * is too short, has another purpose, or an index out of range gives "status unknown" → not verified.
 */
import zlib from 'node:zlib';
import { BitstringStatusList } from '@digitalbazaar/vc-bitstring-status-list';
import { type JsonObject, asArray, isObject, isUrl, issuerIdOf, typesOf } from './document-checks.js';
import type { Problem } from './report.js';

/** Minimum list length: 131,072 entries (16 KiB), divided by statusSize. */
export const MIN_LIST_BITS = 131_072;
/** Decompressed-size cap: a gzip bomb in a 1 MiB list must not take the process down. */
const MAX_LIST_BYTES = 16 * 1024 * 1024;

export interface StatusEntry {
  purpose: string;
  index: number;
  size: number;
  listUrl: string;
}

/** Parses one `BitstringStatusListEntry`; a problem when it is unusable. */
export function parseEntry(entry: JsonObject): StatusEntry | Problem {
  const purpose = entry['statusPurpose'];
  const listUrl = entry['statusListCredential'];
  if (typeof purpose !== 'string' || !purpose || !isUrl(listUrl)) return { code: 'STATUS_ENTRY_INVALID' };
  const rawIndex = entry['statusListIndex'];
  // BSL says a string of digits; the 1EdTech fixtures use a number. Both are accepted.
  const index =
    typeof rawIndex === 'string' && /^\d{1,10}$/.test(rawIndex)
      ? Number(rawIndex)
      : typeof rawIndex === 'number' && Number.isSafeInteger(rawIndex) && rawIndex >= 0
        ? rawIndex
        : NaN;
  if (Number.isNaN(index)) return { code: 'RANGE_ERROR', details: { index: String(rawIndex) } };
  const rawSize = entry['statusSize'] ?? 1;
  const size = typeof rawSize === 'number' ? rawSize : typeof rawSize === 'string' && /^\d{1,2}$/.test(rawSize) ? Number(rawSize) : NaN;
  if (!Number.isInteger(size) || size < 1 || size > 8) return { code: 'STATUS_ENTRY_INVALID', details: { statusSize: String(rawSize) } };
  return { purpose, index, size, listUrl };
}

/** Decodes `encodedList` (multibase base64url of a GZIP bitstring) with a decompression cap. */
export function decodeEncodedList(encodedList: unknown): { length: number; getStatus(index: number): boolean } | undefined {
  if (typeof encodedList !== 'string' || !encodedList.startsWith('u') || !/^u[A-Za-z0-9_-]+$/.test(encodedList)) return undefined;
  try {
    const gz = Buffer.from(encodedList.slice(1), 'base64url');
    const bytes = zlib.gunzipSync(gz, { maxOutputLength: MAX_LIST_BYTES });
    return new BitstringStatusList({ buffer: new Uint8Array(bytes) });
  } catch {
    return undefined;
  }
}

export type StatusRead = { ok: true; value: number } | { ok: false; problem: Problem };

/**
 * Checks a (trusted or verified) list credential against the entry and reads the status value.
 * `credentialIssuer` must equal the list's issuer.
 */
export function readStatus(list: JsonObject, entry: StatusEntry, credentialIssuer: string | undefined): StatusRead {
  if (!typesOf(list).includes('BitstringStatusListCredential')) {
    return { ok: false, problem: { code: 'STATUS_VERIFICATION_ERROR', details: { reason: 'not a BitstringStatusListCredential' } } };
  }
  if (credentialIssuer === undefined || issuerIdOf(list) !== credentialIssuer) {
    return { ok: false, problem: { code: 'STATUS_VERIFICATION_ERROR', details: { reason: "the list was not issued by the credential's issuer" } } };
  }
  const subject = asArray(list['credentialSubject'] as unknown).find(isObject);
  if (!subject || !typesOf(subject).includes('BitstringStatusList')) {
    return { ok: false, problem: { code: 'STATUS_VERIFICATION_ERROR', details: { reason: 'no BitstringStatusList subject' } } };
  }
  const purposes = asArray(subject['statusPurpose'] as unknown);
  if (!purposes.includes(entry.purpose))
    return { ok: false, problem: { code: 'STATUS_PURPOSE_MISMATCH', details: { entry: entry.purpose, list: purposes.join(',') } } };
  const bits = decodeEncodedList(subject['encodedList']);
  if (!bits) return { ok: false, problem: { code: 'STATUS_LIST_LENGTH_ERROR', details: { reason: 'encodedList cannot be decoded' } } };
  if (bits.length < MIN_LIST_BITS) return { ok: false, problem: { code: 'STATUS_LIST_LENGTH_ERROR', details: { bits: bits.length } } };
  const entries = Math.floor(bits.length / entry.size);
  if (entries < MIN_LIST_BITS / entry.size) return { ok: false, problem: { code: 'STATUS_LIST_LENGTH_ERROR', details: { entries } } };
  if (entry.index >= entries) return { ok: false, problem: { code: 'RANGE_ERROR', details: { index: entry.index, entries } } };
  // Bit 0 is the left-most bit of the first byte; a status of statusSize bits is read most significant first.
  let value = 0;
  for (let i = 0; i < entry.size; i++) value = (value << 1) | (bits.getStatus(entry.index * entry.size + i) ? 1 : 0);
  return { ok: true, value };
}
