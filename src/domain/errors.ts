/**
 * The error catalogue. Each code is declared once, with one line saying when it fires.
 * Wording lives in `src/i18n/{fr,en}.ts` (`errors.<CODE>`); HTTP status in `src/http/plugins/errors.ts`.
 * `test/unit/errors.test.ts` keeps messages and `docs/errors.md` complete.
 */
export const ERROR_CODES = [
  /** A request body, query or parameter does not match its schema. */
  'VALIDATION_FAILED',
  /** A JSON body nests deeper than the allowed depth. */
  'VALIDATION_TOO_DEEP',
  /** The request body exceeds the size limit. */
  'PAYLOAD_TOO_LARGE',
  /** The request body is not valid JSON or form data. */
  'PAYLOAD_MALFORMED',
  /** The Content-Type is not accepted by this route. */
  'UNSUPPORTED_MEDIA_TYPE',
  /** No such route or resource, or the caller may not know it exists. */
  'NOT_FOUND',
  /** The caller is authenticated but their role does not allow the action. */
  'FORBIDDEN',
  /** Authentication is required (no or expired session / API key). */
  'AUTH_REQUIRED',
  /** E-mail and password do not match an account. */
  'AUTH_INVALID_CREDENTIALS',
  /** Too many failed sign-ins for this account: retry after a delay. */
  'AUTH_THROTTLED',
  /** The API key is unknown or revoked. */
  'AUTH_INVALID_API_KEY',
  /** A state-changing request without a valid CSRF token or with a foreign Origin. */
  'CSRF_INVALID',
  /** Too many requests from this client. */
  'RATE_LIMITED',
  /** The e-mail address is not syntactically valid. */
  'EMAIL_INVALID',
  /** The e-mail address is already attached to this account. */
  'EMAIL_ALREADY_ADDED',
  /** The primary or last e-mail of an account cannot be removed. */
  'EMAIL_CANNOT_REMOVE_PRIMARY',
  /** Only a verified e-mail can become primary. */
  'EMAIL_NOT_VERIFIED',
  /** The password is shorter than 8 characters. */
  'PASSWORD_TOO_SHORT',
  /** The password is longer than 128 characters. */
  'PASSWORD_TOO_LONG',
  /** The password is a common password or contains the product or organisation name. */
  'PASSWORD_TOO_COMMON',
  /** The current password given for a sensitive change is wrong. */
  'PASSWORD_CURRENT_WRONG',
  /** The verification code is wrong (attempts remain). */
  'CODE_INVALID',
  /** The verification code has expired, was used, or has no attempts left. */
  'CODE_EXPIRED',
  /** Too many wrong codes for this address in the last hour. */
  'CODE_THROTTLED',
  /** A reset, invitation or other link token is unknown, expired or already used. */
  'TOKEN_INVALID',
  /** The display name is empty or too long. */
  'NAME_INVALID',
  /** The organisation slug is malformed. */
  'ORG_SLUG_INVALID',
  /** The organisation slug is already taken. */
  'ORG_SLUG_TAKEN',
  /** The parent organisation does not exist. */
  'ORG_PARENT_NOT_FOUND',
  /** A URL field is not https (or http on localhost). */
  'URL_INVALID',
  /** The role is not one of admin, staff, reviewer. */
  'ROLE_INVALID',
  /** The last admin of an organisation cannot leave or be demoted. */
  'MEMBER_LAST_ADMIN',
  /** The person is already a member of the organisation. */
  'MEMBER_ALREADY',
  /** The invitation was sent to another address than the signed-in account's. */
  'INVITATION_EMAIL_MISMATCH',
  /** An account already uses this e-mail address: sign in to accept. */
  'INVITATION_SIGN_IN_REQUIRED',
  /** The user account does not exist (CLI). */
  'USER_NOT_FOUND',
  /** An account with this e-mail already exists (CLI). */
  'USER_EXISTS',
  /** The backup target exists or cannot be written. */
  'BACKUP_FAILED',
  /** A credential sent for issuing fails the VC data model checks (context order, type, subject, issuer, dates…). */
  'CREDENTIAL_INVALID',
  /** A credential sent for issuing names a JSON-LD context Sceau does not bundle (contexts are never fetched). */
  'CREDENTIAL_CONTEXT_UNKNOWN',
  /** A credential sent for issuing uses a term or type that none of its contexts defines (JSON-LD safe mode). */
  'CREDENTIAL_UNDEFINED_TERM',
  /** The issuer of a credential sent for issuing is not the organisation of the API key. */
  'CREDENTIAL_ISSUER_MISMATCH',
  /** A status change asks to reactivate or suspend a revoked credential: revocation is permanent. */
  'CREDENTIAL_REVOKED_PERMANENT',
  /** A recipient (holder) identifier is not a DID. */
  'RECIPIENT_DID_INVALID',
  /** Revocation asked for a credential whose status entry points at a list Sceau does not publish. */
  'CREDENTIAL_STATUS_UNMANAGED',
  /** An unexpected failure; details are in the server log under the request id. */
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export type ErrorParams = Record<string, string | number>;

/** A failure the caller can understand. The message is the code; wording is localised at the edge. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    readonly params: ErrorParams = {},
    options?: ErrorOptions & { field?: string },
  ) {
    super(code, options);
    this.field = options?.field;
  }
  readonly field: string | undefined;
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
