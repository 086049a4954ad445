/**
 * The verification result: a log of named steps (ids after digitalcredentials/verifier-core), never an
 * exception. "Revoked", "expired" and "issuer not recognised" are results, not errors.
 */

/** Step ids. verifier-core's ids plus Sceau's `schema`, `issuer_binding`, `validity_start`. */
export const STEP_IDS = [
  'schema',
  'valid_signature',
  'issuer_binding',
  'registered_issuer',
  'validity_start',
  'expiration',
  'revocation_status',
  'suspension_status',
  'endorsements',
  'nested_credentials',
] as const;
export type StepId = (typeof STEP_IDS)[number];

export interface VerificationStep {
  id: StepId;
  valid: boolean;
  /** A stable code from the verification catalogue (e.g. `REVOKED`, `EXPIRED`, `ISSUER_UNCONFIRMED`). */
  code?: string;
  /** Localised by the caller from `verification.<code>` messages; plain English here for logs. */
  message?: string;
  /** The message's placeholders (`{date}`, `{url}`…), for localising it. */
  params?: Record<string, string | number>;
  details?: Record<string, unknown>;
}

export interface VerificationProblem {
  code: string;
  message: string;
  /** The message's placeholders, for localising it. */
  params?: Record<string, string | number>;
  step?: StepId;
}

export interface VerificationResult {
  verified: boolean;
  /** The credential as parsed (JSON-LD document, or the JWT payload's credential), or null if unreadable. */
  credential: unknown;
  format: 'ldp' | 'vc-jwt' | 'vc+jwt' | 'presentation' | 'unknown';
  log: VerificationStep[];
  errors: VerificationProblem[];
  warnings: VerificationProblem[];
  /** Endorsements, nested CLR credentials, or a presentation's credentials. */
  nested?: VerificationResult[];
  /** For a nested result: what it is to its parent. */
  role?: 'endorsement' | 'nested' | 'credential';
}

/** The verifier port: one function used by every page and API. Never throws. */
export interface CredentialVerifier {
  verifyCredential(input: unknown, options?: { now?: Date }): Promise<VerificationResult>;
  verifyPresentation(input: unknown, options?: { now?: Date; challenge?: string; domain?: string }): Promise<VerificationResult>;
}
