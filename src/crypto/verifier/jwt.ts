/**
 * JWT-secured credentials and presentations: the OB 3.0 VC-JWT (`typ: JWT`, the credential as payload plus
 * `iss`/`jti`/`sub`/`nbf`/`exp`), legacy VC-JWT 1.1 (`vc` / `vp` claim), and W3C VC-JOSE-COSE (`vc+jwt`,
 * `vp+jwt`, the payload is the credential). Signatures are checked with `jose`, algorithms pinned.
 */
import { compactVerify, decodeProtectedHeader } from 'jose';
import { type JsonObject, isObject } from './document-checks.js';
import type { CachedKey } from './keys.js';
import type { Problem } from './report.js';

export const JWT_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'RS256', 'PS256'];
const CREDENTIAL_TYPS = ['JWT', 'vc+jwt', 'vc+ld+jwt', 'application/vc+jwt'];
const PRESENTATION_TYPS = ['JWT', 'vp+jwt', 'vp+ld+jwt', 'application/vp+jwt'];
const REGISTERED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'nonce', 'cnf'];

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Three base64url segments (the signature possibly empty, which decoding then refuses). */
export function looksLikeJwt(s: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(s);
}

export interface DecodedJwt {
  token: string;
  header: JsonObject;
  payload: JsonObject;
  /** The credential or presentation the JWT secures (registered claims stripped, legacy claims applied). */
  document: JsonObject;
  legacy: boolean;
  format: 'vc-jwt' | 'vc+jwt';
  warnings: Problem[];
}

/** Decodes (does not verify) a JWT; a problem when it cannot be read or is the wrong kind. */
export function decodeJwt(token: string, kind: 'credential' | 'presentation'): DecodedJwt | { problems: Problem[]; warnings: Problem[] } {
  const warnings: Problem[] = [];
  if (token.includes('~')) return { problems: [{ code: 'FORMAT_UNSUPPORTED', params: { format: 'SD-JWT' } }], warnings };
  if (token.split('.').length === 5) return { problems: [{ code: 'FORMAT_UNSUPPORTED', params: { format: 'JWE' } }], warnings };
  if (!COMPACT_JWS.test(token)) return { problems: [{ code: 'JWT_MALFORMED' }], warnings };
  let header: JsonObject;
  let payload: unknown;
  try {
    header = decodeProtectedHeader(token) as JsonObject;
    payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  } catch {
    return { problems: [{ code: 'JWT_MALFORMED' }], warnings };
  }
  if (!isObject(header) || !isObject(payload)) return { problems: [{ code: 'JWT_MALFORMED' }], warnings };
  const problems: Problem[] = [];
  const typ = header['typ'];
  if (typ === undefined) warnings.push({ code: 'JWT_TYP_MISSING' });
  else if (typeof typ !== 'string' || !(kind === 'credential' ? CREDENTIAL_TYPS : PRESENTATION_TYPS).includes(typ)) {
    problems.push({ code: 'JWT_TYPE_INVALID', params: { typ: String(typ) } });
  }
  if (typeof header['alg'] !== 'string' || !JWT_ALGORITHMS.includes(header['alg']))
    problems.push({ code: 'JWT_ALG_UNSUPPORTED', params: { alg: String(header['alg']) } });
  if (header['crit'] !== undefined) problems.push({ code: 'JWT_MALFORMED' });
  if (problems.length) return { problems, warnings };

  const claim = kind === 'credential' ? 'vc' : 'vp';
  const legacy = isObject(payload[claim]);
  let document: JsonObject;
  if (legacy) {
    // VC-JWT 1.1: registered claims stand in for the credential's properties when absent.
    document = { ...(payload[claim] as JsonObject) };
    if (kind === 'credential') {
      if (document['issuer'] === undefined && typeof payload['iss'] === 'string') document['issuer'] = payload['iss'];
      if (document['id'] === undefined && typeof payload['jti'] === 'string') document['id'] = payload['jti'];
      if (document['issuanceDate'] === undefined && document['validFrom'] === undefined && typeof payload['nbf'] === 'number') {
        document['issuanceDate'] = new Date(payload['nbf'] * 1000).toISOString().replace('.000Z', 'Z');
      }
      if (document['expirationDate'] === undefined && document['validUntil'] === undefined && typeof payload['exp'] === 'number') {
        document['expirationDate'] = new Date(payload['exp'] * 1000).toISOString().replace('.000Z', 'Z');
      }
      const subject = document['credentialSubject'];
      if (isObject(subject) && subject['id'] === undefined && typeof payload['sub'] === 'string')
        document['credentialSubject'] = { ...subject, id: payload['sub'] };
    } else if (document['holder'] === undefined && typeof payload['iss'] === 'string') {
      document['holder'] = payload['iss'];
    }
  } else {
    document = Object.fromEntries(Object.entries(payload).filter(([k]) => !REGISTERED_CLAIMS.includes(k)));
  }
  return { token, header, payload, document, legacy, format: typ === 'vc+jwt' || typ === 'vp+jwt' ? 'vc+jwt' : 'vc-jwt', warnings };
}

/** Registered claims must agree with the credential they secure. */
export function checkCredentialClaims(jwt: DecodedJwt, issuerId: string | undefined): Problem[] {
  const p = jwt.payload;
  const doc = jwt.document;
  const problems: Problem[] = [];
  const mismatch = (claim: string) => problems.push({ code: 'JWT_CLAIMS_MISMATCH', params: { claim } });
  if (p['iss'] !== undefined && p['iss'] !== issuerId) mismatch('iss');
  if (p['jti'] !== undefined && doc['id'] !== undefined && p['jti'] !== doc['id']) mismatch('jti');
  const subject = doc['credentialSubject'];
  if (p['sub'] !== undefined && isObject(subject) && subject['id'] !== undefined && p['sub'] !== subject['id']) mismatch('sub');
  for (const c of ['nbf', 'exp', 'iat'] as const) if (p[c] !== undefined && (typeof p[c] !== 'number' || !Number.isFinite(p[c]))) mismatch(c);
  return problems;
}

/** Verifies the compact JWS with a key, pinning the header's (allow-listed) algorithm. */
export async function verifyJws(token: string, alg: string, key: CachedKey): Promise<Problem | undefined> {
  const fits =
    alg === 'EdDSA' || alg === 'Ed25519'
      ? key.algorithm === 'Ed25519'
      : alg === 'ES256'
        ? key.algorithm === 'P-256'
        : alg === 'ES384'
          ? key.algorithm === 'P-384'
          : key.algorithm === 'RSA';
  if (!fits) return { code: 'KEY_UNSUPPORTED', details: { reason: `${alg} with a ${key.algorithm} key` } };
  try {
    await compactVerify(token, key.keyObject, { algorithms: [alg] });
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return { code: 'SIGNATURE_INVALID' };
    if (code === 'ERR_JWS_INVALID' || code === 'ERR_JOSE_NOT_SUPPORTED') return { code: 'PROOF_VALUE_MALFORMED' };
    return { code: 'SIGNATURE_INVALID', details: { reason: String((err as Error).message).slice(0, 200) } };
  }
}
