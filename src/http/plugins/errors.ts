import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode } from '../../domain/shared/errors.js';
import { messages } from '../../i18n/t.js';
import { formatMessage } from '../../i18n/plural.js';
import { UPLOAD_LIMIT_BYTES } from '../limits.js';

/** The only place that knows HTTP statuses. `Record<ErrorCode, …>` makes a missing code a compile error. */
export const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  VALIDATION_TOO_DEEP: 400,
  PAYLOAD_TOO_LARGE: 413,
  PAYLOAD_MALFORMED: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  AUTH_REQUIRED: 401,
  AUTH_INVALID_CREDENTIALS: 401,
  AUTH_THROTTLED: 429,
  AUTH_INVALID_API_KEY: 401,
  CSRF_INVALID: 403,
  RATE_LIMITED: 429,
  EMAIL_INVALID: 400,
  EMAIL_ALREADY_ADDED: 409,
  EMAIL_CANNOT_REMOVE_PRIMARY: 409,
  EMAIL_NOT_VERIFIED: 409,
  PASSWORD_TOO_SHORT: 400,
  PASSWORD_TOO_LONG: 400,
  PASSWORD_TOO_COMMON: 400,
  PASSWORD_CURRENT_WRONG: 400,
  CODE_INVALID: 400,
  CODE_EXPIRED: 410,
  CODE_THROTTLED: 429,
  TOKEN_INVALID: 410,
  NAME_INVALID: 400,
  ORG_SLUG_INVALID: 400,
  ORG_SLUG_TAKEN: 409,
  ORG_PARENT_NOT_FOUND: 400,
  URL_INVALID: 400,
  TIME_ZONE_INVALID: 400,
  ROLE_INVALID: 400,
  MEMBER_LAST_ADMIN: 409,
  MEMBER_ALREADY: 409,
  INVITATION_EMAIL_MISMATCH: 403,
  INVITATION_SIGN_IN_REQUIRED: 409,
  USER_NOT_FOUND: 404,
  USER_EXISTS: 409,
  BACKUP_FAILED: 500,
  CREDENTIAL_STATUS_UNMANAGED: 409,
  INTERNAL: 500,
  IMAGE_TOO_LARGE: 413,
  IMAGE_UNSUPPORTED: 400,
  IMAGE_DIMENSIONS: 400,
  IMAGE_CORRUPT: 400,
  CREDENTIAL_INVALID: 400,
  CREDENTIAL_CONTEXT_UNKNOWN: 400,
  CREDENTIAL_UNDEFINED_TERM: 400,
  CREDENTIAL_ISSUER_MISMATCH: 400,
  IMPORT_TOO_LARGE: 413,
  UPLOAD_TOO_LARGE: 413,
  IMPORT_TOO_MANY_ROWS: 413,
  IMPORT_TOO_MANY_COLUMNS: 413,
  IMPORT_EMPTY: 400,
  IMPORT_BINARY: 400,
  IMPORT_QUOTE_INVALID: 400,
  IMPORT_COLUMNS_MISMATCH: 400,
  IMPORT_HEADER_EMPTY: 400,
  IMPORT_HEADER_DUPLICATE: 400,
  IMPORT_XLSX_INVALID: 400,
  IMPORT_XLSX_TOO_LARGE: 413,
  IMPORT_UNREADABLE: 400,
  CREDENTIAL_REVOKED_PERMANENT: 409,
  RECIPIENT_DID_INVALID: 400,
  WEBHOOK_LIMIT: 409,
  WEBHOOK_EVENTS_INVALID: 400,
  WEBHOOK_URL_PRIVATE: 400,
  WEBHOOK_DELIVERY_NOT_DEAD: 409,
  IDEMPOTENCY_KEY_INVALID: 400,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_KEY_IN_PROGRESS: 409,
  CURSOR_INVALID: 400,
  TEXT_TOO_LONG: 400,
  TEMPLATE_TEXT_REQUIRED: 400,
  TEMPLATE_FIELD_KEY_INVALID: 400,
  TEMPLATE_FIELD_KEY_DUPLICATE: 400,
  TEMPLATE_VALIDITY_INVALID: 400,
  TEMPLATE_MERGE_FIELD_UNKNOWN: 400,
  TEMPLATE_ARCHIVED: 409,
  TEMPLATE_CONFLICT: 409,
  RECIPIENT_NAME_INVALID: 400,
  RECIPIENT_LOCALE_INVALID: 400,
  RECIPIENT_DUPLICATE: 400,
  LEARNER_ID_INVALID: 400,
  FIELD_REQUIRED: 400,
  FIELD_INVALID: 400,
  FIELD_NUMBER_INVALID: 400,
  FIELD_DATE_INVALID: 400,
  FIELD_TOO_LONG: 400,
  IMPORT_MAPPING_INVALID: 400,
  IMPORT_HAS_INVALID_ROWS: 409,
  IMPORT_NOTHING_TO_ISSUE: 409,
  JOB_NOT_EDITABLE: 409,
  CREDENTIAL_LINK_INVALID: 404,
  RESULTS_INVALID: 400,
  RESULT_ACTIVITY_INVALID: 400,
  RESULT_SCORE_INVALID: 400,
  RESULT_PASSED_INVALID: 400,
  RESULT_DATE_INVALID: 400,
  RESULTS_COLUMNS_MISSING: 400,
  RULES_ACTIVITIES_INVALID: 400,
  RULES_SCORE_INVALID: 400,
  RULES_DELAY_INVALID: 400,
  RULES_RENEWAL_INVALID: 400,
  RECIPIENTS_INVALID: 422,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  params?: Record<string, string | number>;
  field?: string;
  errors?: { field: string; message: string }[];
  requestId?: string;
}

/** Turns anything thrown into an AppError; unknown errors become INTERNAL (and are logged by the caller). */
export function toAppError(error: unknown): { appError: AppError; isUnexpected: boolean; fieldErrors?: { field: string; message: string }[] } {
  if (error instanceof AppError) return { appError: error, isUnexpected: false };
  const e = error as FastifyError & { validation?: unknown };
  if (hasZodFastifySchemaValidationErrors(e)) {
    const fieldErrors = e.validation.map((v) => ({
      field: v.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(body)',
      message: v.message ?? 'invalid',
    }));
    return { appError: new AppError('VALIDATION_FAILED'), isUnexpected: false, fieldErrors };
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { appError: new AppError('PAYLOAD_TOO_LARGE'), isUnexpected: false };
    // @fastify/multipart: a file part beyond the upload limit (the error itself does not say the limit).
    case 'FST_REQ_FILE_TOO_LARGE':
      return { appError: new AppError('UPLOAD_TOO_LARGE', { max: UPLOAD_LIMIT_BYTES / (1024 * 1024) }), isUnexpected: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { appError: new AppError('UNSUPPORTED_MEDIA_TYPE'), isUnexpected: false };
    // A multipart upload cut short (no closing boundary): busboy ends the request stream early.
    case 'ERR_STREAM_PREMATURE_CLOSE':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { appError: new AppError('PAYLOAD_MALFORMED'), isUnexpected: false };
    case 'FST_ERR_VALIDATION':
      return { appError: new AppError('VALIDATION_FAILED'), isUnexpected: false };
    default:
      break;
  }
  if (e?.statusCode === 429) return { appError: new AppError('RATE_LIMITED'), isUnexpected: false };
  if (e?.statusCode === 413) return { appError: new AppError('PAYLOAD_TOO_LARGE'), isUnexpected: false };
  if (e?.statusCode === 415) return { appError: new AppError('UNSUPPORTED_MEDIA_TYPE'), isUnexpected: false };
  if (e?.statusCode === 400 && (e instanceof SyntaxError || /JSON|body|parse/i.test(e.message ?? ''))) {
    return { appError: new AppError('PAYLOAD_MALFORMED'), isUnexpected: false };
  }
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) return { appError: new AppError('VALIDATION_FAILED'), isUnexpected: false };
  // @fastify/busboy's errors for a malformed multipart body (no boundary, an overlong one, a body cut short).
  if (
    e instanceof Error &&
    /^(Multipart: Boundary not found|Unexpected end of multipart data|The needle cannot)|terminated early due to unexpected end of multipart data$/.test(
      e.message,
    )
  )
    return { appError: new AppError('PAYLOAD_MALFORMED'), isUnexpected: false };
  return { appError: new AppError('INTERNAL'), isUnexpected: true };
}

export function localizedMessage(appError: AppError, locale: 'fr' | 'en', requestId?: string): string {
  const params = appError.code === 'INTERNAL' ? { ...appError.params, requestId: requestId ?? '' } : appError.params;
  return formatMessage(locale, messages(locale).errors[appError.code], params);
}

/** RFC 9457 problem details. The request id appears only on 5xx (4xx bodies stay byte-identical across requests). */
export function toProblem(
  appError: AppError,
  locale: 'fr' | 'en',
  { requestId, fieldErrors }: { requestId: string; fieldErrors?: { field: string; message: string }[] },
): Problem {
  const status = STATUS[appError.code];
  const problem: Problem = {
    type: `urn:sceau:error:${appError.code}`,
    title: appError.code,
    status,
    code: appError.code,
    detail: localizedMessage(appError, locale, requestId),
  };
  if (Object.keys(appError.params).length && appError.code !== 'INTERNAL') problem.params = appError.params;
  if (appError.field) problem.field = appError.field;
  if (fieldErrors?.length) problem.errors = fieldErrors;
  if (status >= 500) problem.requestId = requestId;
  return problem;
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  { appError, fieldErrors }: { appError: AppError; fieldErrors?: { field: string; message: string }[] },
): FastifyReply {
  const problem = toProblem(appError, request.locale, { requestId: request.id, fieldErrors });
  if (appError.code === 'AUTH_THROTTLED' && appError.params['retryAfter']) reply.header('retry-after', String(appError.params['retryAfter']));
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}
