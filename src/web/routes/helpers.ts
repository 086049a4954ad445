import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/shared/model.js';
import { STATUS, localizedMessage } from '../../http/plugins/errors.js';
import type { FormState } from '../pages/auth.js';
import type { Html } from '../../shared/html.js';

/** Every HTML route documents its response as a string (pages are hidden from the OpenAPI document). */
export const htmlResponse = {
  200: z.string().describe('HTML page'),
  400: z.string(),
  401: z.string(),
  403: z.string(),
  404: z.string(),
  409: z.string(),
  410: z.string(),
  429: z.string(),
};
export const redirectResponse = { 303: z.null().describe('Redirect'), ...htmlResponse };

/** Form fields are strings with generous caps; the domain applies the real rules and names the field. */
export const text = (max = 1000) => z.string().max(max);
/** Optional in the schema so a missing token is a 403 from the CSRF check, not a 400 from validation. */
export const csrf = { _csrf: z.string().max(100).optional() };

export function sendHtml(reply: FastifyReply, page: Html, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page.value);
}

/**
 * Turns a domain error into form state (field error or summary); anything unexpected is rethrown. NOT_FOUND is
 * rethrown too: the error page never echoes the URL, so a foreign id answers exactly like a missing one (Z1).
 */
export function formState(request: FastifyRequest, error: unknown, values: Record<string, string> = {}): FormState {
  if (!(error instanceof AppError) || error.code === 'NOT_FOUND') throw error;
  const message = localizedMessage(error, request.locale, request.id);
  return error.field ? { values, errors: { [error.field]: message } } : { values, general: [message] };
}

export function userActor(request: FastifyRequest): Extract<Actor, { kind: 'user' }> {
  if (!request.user) throw new AppError('AUTH_REQUIRED');
  return { kind: 'user', userId: request.user.id, isPlatformAdmin: request.user.isPlatformAdmin, ip: request.ip, requestId: request.id };
}

/** Only same-site relative paths are followed after sign-in (no open redirect). */
export function safeNext(next: unknown, fallback: string): string {
  return typeof next === 'string' && /^\/(?!\/|\\)[\x21-\x7e]*$/.test(next) && next.length < 500 ? next : fallback;
}

/** The HTTP status for a form re-rendered after a domain error (400, 409, 410, 429…). */
export function statusOf(error: unknown): number {
  return error instanceof AppError ? STATUS[error.code] : 400;
}
