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
  /** The time zone is not an IANA time zone name known to the runtime (e.g. Europe/Brussels). */
  'TIME_ZONE_INVALID',
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
  /** An `Idempotency-Key` header is empty, longer than 255 characters or not visible ASCII. */
  'IDEMPOTENCY_KEY_INVALID',
  /** An `Idempotency-Key` was already used with a different request (method, path or body) within 24 h. */
  'IDEMPOTENCY_KEY_REUSED',
  /** A request with the same `Idempotency-Key` is still being processed: retry once it has finished. */
  'IDEMPOTENCY_KEY_IN_PROGRESS',
  /** A pagination cursor is malformed or was tampered with. */
  'CURSOR_INVALID',
  /** The organisation already has the maximum number of webhooks (10). */
  'WEBHOOK_LIMIT',
  /** A webhook must subscribe to at least one known event type. */
  'WEBHOOK_EVENTS_INVALID',
  /** A webhook URL whose host is or resolves to a private, loopback or link-local address the operator has not allowed. */
  'WEBHOOK_URL_PRIVATE',
  /** Only a dead webhook delivery (every attempt failed) can be redelivered. */
  'WEBHOOK_DELIVERY_NOT_DEAD',
  /** A bulk-issue upload (CSV or XLSX) is larger than the size limit (20 MB). */
  'IMPORT_TOO_LARGE',
  /** An uploaded file (bulk CSV/XLSX, image) is larger than the upload limit (20 MB); refused while it is received. */
  'UPLOAD_TOO_LARGE',
  /** A bulk-issue upload has more data rows than the limit (100,000). */
  'IMPORT_TOO_MANY_ROWS',
  /** A bulk-issue upload has more columns than the limit. */
  'IMPORT_TOO_MANY_COLUMNS',
  /** A bulk-issue upload has no header line or no data row. */
  'IMPORT_EMPTY',
  /** A bulk-issue upload is neither text (CSV) nor an XLSX workbook (NUL bytes, old .xls, image…). */
  'IMPORT_BINARY',
  /** A CSV line has a quotation mark that is never closed or is followed by other characters. */
  'IMPORT_QUOTE_INVALID',
  /** A CSV or XLSX row has more (non-empty) cells than the header has columns. */
  'IMPORT_COLUMNS_MISMATCH',
  /** A column of the header line has no title. */
  'IMPORT_HEADER_EMPTY',
  /** Two columns of the header line have the same title (case-insensitively). */
  'IMPORT_HEADER_DUPLICATE',
  /** An uploaded .xlsx file is damaged or is not an Excel workbook. */
  'IMPORT_XLSX_INVALID',
  /** An uploaded .xlsx file unpacks to too much data or too many cells (zip bomb guard). */
  'IMPORT_XLSX_TOO_LARGE',
  /** A CSV file cannot be read for another reason, at the given line. */
  'IMPORT_UNREADABLE',
  /** An uploaded image exceeds the size limit (2 MiB; 1 MiB for an SVG). */
  'IMAGE_TOO_LARGE',
  /** An uploaded file is not a PNG, JPEG or SVG image (recognised by its bytes), or uses an unsupported feature. */
  'IMAGE_UNSUPPORTED',
  /** An uploaded PNG or JPEG is wider or taller than 4096 pixels. */
  'IMAGE_DIMENSIONS',
  /** An uploaded image is truncated, corrupt, followed by other data, or an SVG that cannot be parsed. */
  'IMAGE_CORRUPT',
  /** A text is longer than its documented maximum. */
  'TEXT_TOO_LONG',
  /** A template text is required in at least one language. */
  'TEMPLATE_TEXT_REQUIRED',
  /** A custom field key is not a lowercase identifier or is reserved. */
  'TEMPLATE_FIELD_KEY_INVALID',
  /** Two custom fields of a template share a key. */
  'TEMPLATE_FIELD_KEY_DUPLICATE',
  /** The validity duration is not a whole number in range. */
  'TEMPLATE_VALIDITY_INVALID',
  /** An e-mail text uses a merge field the template does not define. */
  'TEMPLATE_MERGE_FIELD_UNKNOWN',
  /** The template is archived: it can be read and restored but issues nothing. */
  'TEMPLATE_ARCHIVED',
  /** Someone saved the template in the meantime. */
  'TEMPLATE_CONFLICT',
  /** The recipient name is missing, too long or has control characters. */
  'RECIPIENT_NAME_INVALID',
  /** The recipient language is neither French nor English. */
  'RECIPIENT_LOCALE_INVALID',
  /** The same e-mail address appears on several rows of a file. */
  'RECIPIENT_DUPLICATE',
  /** The learner id is too long or has control characters. */
  'LEARNER_ID_INVALID',
  /** A required template field has no value. */
  'FIELD_REQUIRED',
  /** A template field value has control characters or a wrong type. */
  'FIELD_INVALID',
  /** A number field value is not a number. */
  'FIELD_NUMBER_INVALID',
  /** A date field value is not a real date. */
  'FIELD_DATE_INVALID',
  /** A field value is longer than allowed (500, grades 50). */
  'FIELD_TOO_LONG',
  /** The column mapping lacks the name or e-mail column, maps a column twice or names an unknown target. */
  'IMPORT_MAPPING_INVALID',
  /** Publishing is refused while rows are invalid (fix or exclude them). */
  'IMPORT_HAS_INVALID_ROWS',
  /** A job has no valid row left to issue. */
  'IMPORT_NOTHING_TO_ISSUE',
  /** The job was already published: its rows can no longer change. */
  'JOB_NOT_EDITABLE',
  /** A holder link is unknown or its token does not match. */
  'CREDENTIAL_LINK_INVALID',
  /** Results sent for automatic issuance include invalid items (each is reported; nothing was stored). */
  'RESULTS_INVALID',
  /** A result's activity is not a code of 1–100 letters, digits, `.`, `_`, `:` or `-`. */
  'RESULT_ACTIVITY_INVALID',
  /** A result's score is not a number (or out of range). */
  'RESULT_SCORE_INVALID',
  /** A result's pass/fail value is not a yes/no value. */
  'RESULT_PASSED_INVALID',
  /** A result's date is not a date (or time) we read, or is in the future. */
  'RESULT_DATE_INVALID',
  /** A results file lacks one of the required columns (e-mail, name, activity, date). */
  'RESULTS_COLUMNS_MISSING',
  /** Issuance rules: enabled without activities, too many, or an invalid activity code. */
  'RULES_ACTIVITIES_INVALID',
  /** Issuance rules: the minimum score is not a number. */
  'RULES_SCORE_INVALID',
  /** Issuance rules: the delay is not a whole number of minutes in range. */
  'RULES_DELAY_INVALID',
  /** Issuance rules: the renewal window is not a whole number of days in range. */
  'RULES_RENEWAL_INVALID',
  /** Recipients sent to the API (one-off or job) have invalid values or duplicate e-mails: nothing was issued. */
  'RECIPIENTS_INVALID',
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
