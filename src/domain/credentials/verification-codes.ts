/**
 * The verification-code catalogue: every `code` a verification step, error or warning can carry. Each code is
 * declared once, with one line saying when it fires. Wording lives in `src/i18n/{fr,en}.ts`
 * (`verification.codes.<CODE>`, French first); `test/credentials/verifier/codes.test.ts` keeps both complete.
 *
 * Three kinds: `ok` codes label a step that passed, `error` codes make the result `verified: false`,
 * `warning` codes are reported but do not change the verdict. "Issuer not recognised" (`ISSUER_UNCONFIRMED`)
 * is deliberately distinct from "tampered" (`SIGNATURE_INVALID`).
 */
export const VERIFICATION_CODES = {
  // ── passing steps ──────────────────────────────────────────────────────────────────────────────
  /** The document follows the VC data model, and the declared OB 3.0 JSON schema when there is one. */
  SCHEMA_VALID: 'ok',
  /** Every proof of a supported type verifies: the content is exactly what was signed. */
  SIGNATURE_INTACT: 'ok',
  /** The signing key belongs to the issuer (controller = issuer, listed under `assertionMethod`). */
  ISSUER_BOUND: 'ok',
  /** The issuer is an organisation of this Sceau instance (resolved from its own database). */
  ISSUER_REGISTERED: 'ok',
  /** The issuer's DID or controller document was resolved and lists the signing key. */
  ISSUER_RESOLVED: 'ok',
  /** `validFrom` (or `issuanceDate`) is in the past. */
  VALIDITY_STARTED: 'ok',
  /** No start of validity is given. */
  VALIDITY_START_NONE: 'ok',
  /** `validUntil` (or `expirationDate`) is in the future. */
  NOT_EXPIRED: 'ok',
  /** No end of validity is given. */
  NO_EXPIRATION: 'ok',
  /** The revocation bit is read and not set. */
  NOT_REVOKED: 'ok',
  /** The suspension bit (or Sceau's own suspension record) is not set. */
  NOT_SUSPENDED: 'ok',
  /** Every endorsement credential verifies. */
  ENDORSEMENTS_VERIFIED: 'ok',
  /** Every nested credential (CLR, presentation) verifies. */
  NESTED_VERIFIED: 'ok',
  /** The presentation's proof was made by its holder (with the expected challenge and domain). */
  HOLDER_BOUND: 'ok',

  // ── failures ───────────────────────────────────────────────────────────────────────────────────
  /** The input is neither a JSON credential nor a compact JWT. */
  INPUT_MALFORMED: 'error',
  /** A recognised but unsupported securing format (SD-JWT, COSE…). */
  FORMAT_UNSUPPORTED: 'error',
  /** `@context` is missing, or its first entry is not the VC v2 (or v1) context. */
  CONTEXT_INVALID: 'error',
  /** A context URL is not bundled: nothing is ever fetched to process JSON-LD. */
  UNKNOWN_CONTEXT: 'error',
  /** Too many or too deeply nested contexts. */
  CONTEXT_TOO_COMPLEX: 'error',
  /** JSON-LD processing failed (invalid context, conflicting or protected terms…). */
  JSONLD_INVALID: 'error',
  /** A property or type is not defined by the contexts (JSON-LD safe mode would drop it). */
  UNDEFINED_TERM: 'error',
  /** `type` does not include `VerifiableCredential` (or `VerifiablePresentation`). */
  TYPE_INVALID: 'error',
  /** An `id` is not a URL. */
  ID_INVALID: 'error',
  /** No issuer. */
  ISSUER_MISSING: 'error',
  /** The issuer (or its `id`) is not a URL. */
  ISSUER_INVALID: 'error',
  /** No `credentialSubject`, or an Open Badge subject without `id` or `identifier`. */
  SUBJECT_MISSING: 'error',
  /** A date is not an XML Schema dateTime with a time zone. */
  DATE_INVALID: 'error',
  /** A `credentialStatus`, `credentialSchema`, `refreshService`, `evidence` or `termsOfUse` without `type`. */
  PROPERTY_TYPE_MISSING: 'error',
  /** A `relatedResource` that is not an object with a unique URL `id` and a `digestSRI` or `digestMultibase`. */
  RELATED_RESOURCE_INVALID: 'error',
  /** The credential does not validate against its declared OB 3.0 JSON schema. */
  SCHEMA_INVALID: 'error',
  /** No proof at all (and not a JWT). */
  PROOF_MISSING: 'error',
  /** Proofs are present, but none of a supported type and cryptosuite. */
  NO_KNOWN_PROOF: 'error',
  /** The same proof appears twice in the proof set. */
  PROOF_DUPLICATE: 'error',
  /** A proof lacks a required field or has a malformed one (`created`, `verificationMethod`…). */
  PROOF_MALFORMED: 'error',
  /** The `proofValue` (or JWS signature) cannot be decoded. */
  PROOF_VALUE_MALFORMED: 'error',
  /** The proof purpose is not the expected one (`assertionMethod`, or `authentication` for presentations). */
  PROOF_PURPOSE_INVALID: 'error',
  /** A `previousProof` names a proof that is not in the document. */
  PROOF_CHAIN_INVALID: 'error',
  /** The signature does not match the content: the document was changed after signing. */
  SIGNATURE_INVALID: 'error',
  /** The verification method cannot be resolved (unknown DID method, unreachable or blocked host, key absent). */
  VERIFICATION_METHOD_UNRESOLVABLE: 'error',
  /** The verification method is a bare DID with no key fragment. */
  VERIFICATION_METHOD_BARE_DID: 'error',
  /** The key type or curve is not supported, or does not fit the cryptosuite. */
  KEY_UNSUPPORTED: 'error',
  /** A JWT that cannot be decoded. */
  JWT_MALFORMED: 'error',
  /** A JWT algorithm outside EdDSA, ES256, ES384, RS256 (and PS256). */
  JWT_ALG_UNSUPPORTED: 'error',
  /** A JWT whose `typ` is not a credential type (`JWT`, `vc+jwt`, `vc+ld+jwt`). */
  JWT_TYPE_INVALID: 'error',
  /** A JWT header with neither `kid` nor `jwk`: no key to check the signature with. */
  JWT_NO_KEY: 'error',
  /** A JWT header `jwk` that carries a private key. */
  JWT_PRIVATE_KEY_IN_HEADER: 'error',
  /** JWT claims (`iss`, `jti`, `sub`, `nbf`, `exp`) contradict the credential. */
  JWT_CLAIMS_MISMATCH: 'error',
  /** The signing key's controller is not the issuer. */
  ISSUER_KEY_MISMATCH: 'error',
  /** The issuer's document does not list the key under `assertionMethod`. */
  KEY_NOT_AUTHORIZED: 'error',
  /** The issuer marked the key revoked. */
  KEY_REVOKED: 'error',
  /** The key's end date (`expires`) has passed. */
  KEY_EXPIRED: 'error',
  /** Signature intact, but the issuer's identity cannot be confirmed (controller not resolvable, key only in the JWT header). */
  ISSUER_UNCONFIRMED: 'error',
  /** `validFrom` is in the future. */
  NOT_YET_VALID: 'error',
  /** `validUntil` is in the past. */
  EXPIRED: 'error',
  /** The revocation bit is set. */
  REVOKED: 'error',
  /** The suspension bit is set, or Sceau suspended its own credential. */
  SUSPENDED: 'error',
  /** The status could not be checked (untrusted issuer or signature): status unknown, so not verified. */
  STATUS_UNKNOWN: 'error',
  /** The status list could not be fetched (unreachable, blocked, too large, not JSON). */
  STATUS_RETRIEVAL_ERROR: 'error',
  /** The status list credential does not verify or was not issued by the credential's issuer. */
  STATUS_VERIFICATION_ERROR: 'error',
  /** The status list is shorter than 131,072 entries (÷ statusSize) or cannot be decoded. */
  STATUS_LIST_LENGTH_ERROR: 'error',
  /** The list's purpose differs from the entry's. */
  STATUS_PURPOSE_MISMATCH: 'error',
  /** `statusListIndex` is not a non-negative integer or is outside the list. */
  RANGE_ERROR: 'error',
  /** A status type other than `BitstringStatusListEntry`. */
  STATUS_TYPE_UNSUPPORTED: 'error',
  /** A status entry without a purpose or list URL, or with an unsupported `statusSize`. */
  STATUS_ENTRY_INVALID: 'error',
  /** An endorsement does not verify. */
  ENDORSEMENT_INVALID: 'error',
  /** A nested credential does not verify. */
  NESTED_INVALID: 'error',
  /** Credentials nested too deeply or too many of them. */
  NESTING_TOO_DEEP: 'error',
  /** The presentation is not a VerifiablePresentation (or holds something that is not a credential). */
  PRESENTATION_MALFORMED: 'error',
  /** A challenge or domain was required but the presentation has no proof. */
  PRESENTATION_PROOF_MISSING: 'error',
  /** The presentation proof's challenge (JWT `nonce`) differs from the expected one. */
  CHALLENGE_MISMATCH: 'error',
  /** The presentation proof's domain (JWT `aud`) differs from the expected one. */
  DOMAIN_MISMATCH: 'error',
  /** The presentation was signed by someone other than its holder. */
  HOLDER_MISMATCH: 'error',
  /** Something unexpected failed inside the verifier (logged); never reported as valid. */
  INTERNAL_ERROR: 'error',

  // ── warnings ───────────────────────────────────────────────────────────────────────────────────
  /** A proof of an unknown type or cryptosuite was ignored (another proof verified). */
  PROOF_TYPE_UNKNOWN: 'warning',
  /** The credential uses an older Open Badges context (3.0.2 or before). */
  CONTEXT_VERSION_OUTDATED: 'warning',
  /** A declared schema is not bundled, so it was not checked (schemas are never fetched). */
  SCHEMA_NOT_BUNDLED: 'warning',
  /** A JWT without `typ`. */
  JWT_TYP_MISSING: 'warning',
  /** The presentation has no proof: its credentials were verified, its holder was not. */
  PRESENTATION_UNSIGNED: 'warning',
  /** A status entry with a purpose Sceau does not act on (`refresh`, `message`). */
  STATUS_PURPOSE_IGNORED: 'warning',
} as const;

export type VerificationCode = keyof typeof VERIFICATION_CODES;
export type VerificationCodeKind = (typeof VERIFICATION_CODES)[VerificationCode];
export const VERIFICATION_CODE_LIST = Object.keys(VERIFICATION_CODES) as VerificationCode[];
