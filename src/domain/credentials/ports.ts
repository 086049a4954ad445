/**
 * Ports of the issuing side of the credential engine (types only). `src/crypto/issuer-keys.ts` and
 * `src/crypto/credential-signer.ts` implement them; `src/compose.ts` wires them.
 */

export type JsonObject = Record<string, unknown>;

/** An organisation's Ed25519 issuer key. The secret key is sealed with the master key; it is never stored in clear. */
export interface IssuerKey {
  id: string;
  orgId: string;
  /** `z6Mk…`; also the fragment of the verification method id (`<did>#z6Mk…`). */
  publicKeyMultibase: string;
  secretKeySealed: string;
  createdAt: Date;
  /** Set when the key was rotated out: no longer used to sign, still listed so old credentials verify. */
  retiredAt: Date | null;
}

/** What the signer needs: the verification method id and the key (imported once, then cached by `id`). */
export interface SigningKey {
  id: string;
  verificationMethod: string;
  secretKeySealed: string;
}

/** Key generation. */
export interface IssuerKeys {
  /** A new Ed25519 key pair, the secret key already sealed with the master key. */
  generate(): Promise<{ publicKeyMultibase: string; secretKeySealed: string }>;
}

/** Signing: eddsa-rdfc-2022 Data Integrity proofs, OB 3.0 VC-JWTs, status-list encoding. */
export interface CredentialSigner {
  /**
   * Adds a `DataIntegrityProof` (eddsa-rdfc-2022, proofPurpose assertionMethod, `created` as given) to a copy of
   * the document, exactly as the stock `@digitalbazaar/vc` `issue` would (same checks, same bytes; `proof` is a
   * single object here — callers wrap it). Contexts come only from the strict loader. Throws AppError
   * CREDENTIAL_INVALID / CREDENTIAL_CONTEXT_UNKNOWN for documents that cannot be signed.
   */
  sign(document: JsonObject, key: SigningKey, options: { created: string }): Promise<JsonObject>;
  /** OB 3.0 VC-JWT: header `{alg: EdDSA, typ: JWT, kid}`, payload = the credential + iss/jti/sub/nbf/exp. */
  signJwt(credential: JsonObject, key: SigningKey): Promise<string>;
  /** `u` + base64url(gzip(bits)) of a list of `length` bits with `setIndexes` set (bit 0 is the left-most). */
  encodeStatusList(length: number, setIndexes: Iterable<number>): Promise<string>;
  /** Forgets a cached key (after rotation or in tests). */
  forget(keyId: string): void;
}

/** Uniform random integers from a CSPRNG (status-list indexes are allocated at random, never in sequence). */
export interface RandomSource {
  int(maxExclusive: number): number;
}
