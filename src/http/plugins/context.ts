/**
 * Per-request context, app-wide (registered with fastify-plugin): locale, session, CSRF.
 * Session cookies are `__Host-` + Secure when BASE_URL is https, always HttpOnly and SameSite=Lax (A12).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import '@fastify/cookie';
import fp from 'fastify-plugin';
import { AppError } from '../../domain/shared/errors.js';
import type { Actor, Locale } from '../../domain/shared/model.js';
import { negotiateLocale } from '../../i18n/t.js';
import type { AppDeps } from '../deps.js';
import type { Session, User } from '../../domain/accounts/model.js';
import { resolveSession } from '../../domain/accounts/sign-in.js';

declare module 'fastify' {
  interface FastifyRequest {
    locale: Locale;
    user: User | null;
    session: Session | null;
    /** The API key's organisation actor (API routes) or the signed-in person. */
    actor: Actor | null;
    /** Token to embed in every state-changing form of this response. */
    csrfToken(): string;
  }
  interface FastifyContextConfig {
    /** `api`: JSON/problem+json, Bearer API keys, no cookies and no CSRF. `web` (default): HTML pages. */
    kind?: 'api' | 'web';
  }
}

export interface CookieNames {
  session: string;
  pre: string;
  lang: string;
}

export function cookieNames(isSecure: boolean): CookieNames {
  return isSecure
    ? { session: '__Host-sceau_session', pre: '__Host-sceau_pre', lang: '__Host-sceau_lang' }
    : { session: 'sceau_session', pre: 'sceau_pre', lang: 'sceau_lang' };
}

export function cookieOptions(isSecure: boolean, maxAgeSeconds?: number) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: isSecure, ...(maxAgeSeconds ? { maxAge: maxAgeSeconds } : {}) };
}

export function setSessionCookie(reply: FastifyReply, deps: AppDeps, token: string): void {
  reply.setCookie(cookieNames(deps.config.isSecure).session, token, cookieOptions(deps.config.isSecure, 12 * 3600));
}

export function clearSessionCookie(reply: FastifyReply, deps: AppDeps): void {
  reply.clearCookie(cookieNames(deps.config.isSecure).session, cookieOptions(deps.config.isSecure));
}

function isApiUrl(url: string): boolean {
  return url.startsWith('/api/') || url === '/health' || url.startsWith('/docs');
}

async function contextPlugin(app: FastifyInstance, opts: { deps: AppDeps }) {
  const { deps } = opts;
  const names = cookieNames(deps.config.isSecure);
  const origin = deps.config.baseUrl.origin;

  app.decorateRequest('locale', 'fr');
  app.decorateRequest('user', null);
  app.decorateRequest('session', null);
  app.decorateRequest('actor', null);
  app.decorateRequest('csrfToken', function csrfToken(this: FastifyRequest) {
    return '';
  });

  app.addHook('onRequest', async (request, reply) => {
    const query = request.query as Record<string, unknown> | undefined;
    request.locale = negotiateLocale({
      query: query?.['lang'],
      cookie: request.cookies[names.lang],
      acceptLanguage: request.headers['accept-language'],
      fallback: deps.config.defaultLocale,
    });
    if (query?.['lang'] === 'fr' || query?.['lang'] === 'en') {
      reply.setCookie(names.lang, request.locale, cookieOptions(deps.config.isSecure, 365 * 86400));
    }
    if (request.routeOptions.config?.kind === 'api' || isApiUrl(request.url)) return;

    const token = request.cookies[names.session];
    if (token) {
      const resolved = await resolveSession(deps, token);
      if (resolved) {
        request.user = resolved.user;
        request.session = resolved.session;
        request.actor = { kind: 'user', userId: resolved.user.id, isPlatformAdmin: resolved.user.isPlatformAdmin, ip: request.ip, requestId: request.id };
        request.locale = negotiateLocale({
          query: query?.['lang'],
          cookie: request.cookies[names.lang],
          userPreference: resolved.user.locale,
          acceptLanguage: request.headers['accept-language'],
          fallback: deps.config.defaultLocale,
        });
      } else {
        clearSessionCookie(reply, deps);
      }
    }
    // CSRF tokens are MACs bound to the session (or, before sign-in, to a random pre-session cookie): nothing stored.
    let pre = request.cookies[names.pre];
    request.csrfToken = () => {
      if (request.session) return deps.secrets.mac('csrf', request.session.idHash).slice(0, 43);
      if (!pre || !/^[A-Za-z0-9_-]{43}$/.test(pre)) {
        pre = deps.secrets.newToken();
        reply.setCookie(names.pre, pre, cookieOptions(deps.config.isSecure));
      }
      return deps.secrets.mac('csrf-pre', pre).slice(0, 43);
    };
  });

  // Every state-changing web request needs a same-origin Origin (when sent) and the form's CSRF token (A12).
  app.addHook('preHandler', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    if (request.routeOptions.config?.kind === 'api' || isApiUrl(request.url)) return;
    const originHeader = request.headers.origin;
    if (originHeader !== undefined && originHeader !== origin) throw new AppError('CSRF_INVALID');
    const body = request.body as Record<string, unknown> | undefined;
    const given = body && typeof body === 'object' ? body['_csrf'] : undefined;
    const expected = request.session
      ? deps.secrets.mac('csrf', request.session.idHash).slice(0, 43)
      : request.cookies[names.pre]
        ? deps.secrets.mac('csrf-pre', request.cookies[names.pre] ?? '').slice(0, 43)
        : undefined;
    if (!expected || typeof given !== 'string' || given !== expected) throw new AppError('CSRF_INVALID');
  });
}

export const context = fp(contextPlugin, { name: 'sceau-context' });
