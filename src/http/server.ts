/**
 * `createServer(deps, options)`: the Fastify instance with its app-wide plugins (parsers, security headers,
 * rate-limit backstop, context, errors, OpenAPI), without routes and without listening. `src/app.ts` mounts the
 * JSON API (this folder) and the web pages (`src/web`) on it.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import sjson from 'secure-json-parse';
import { AppError } from '../domain/shared/errors.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiV1Routes } from './api/v1.routes.js';
import { vcApiIssueRoutes } from './api/vc-api.routes.js';
import { vcApiVerifyRoutes } from './api/verify.routes.js';
import { issuerPublicRoutes } from './public/issuer.routes.js';
import { imagePublicRoutes } from './public/images.routes.js';
import type { AppDeps } from './deps.js';
import { healthRoutes } from './health.routes.js';
import { context } from './plugins/context.js';
import { sendProblem, toAppError } from './plugins/errors.js';

export const BODY_LIMIT = 1024 * 1024;
const ACCESS_REFUSALS = new Set(['AUTH_REQUIRED', 'AUTH_INVALID_CREDENTIALS', 'AUTH_INVALID_API_KEY', 'FORBIDDEN', 'CSRF_INVALID', 'NOT_FOUND']);
export const MAX_JSON_DEPTH = 32;

/** Depth of a parsed JSON value, computed iteratively (a 10,000-level document must not blow the stack). */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

function wantsJson(url: string, accept: string | undefined, kind: string | undefined): boolean {
  if (kind === 'api' || url.startsWith('/api/') || url.startsWith('/health') || url.startsWith('/docs')) return true;
  if (kind === 'web') return false;
  return !(accept ?? '').includes('text/html');
}

export interface ServerOptions {
  /** Renders an error for a browser (the web layer's error page); the API answers problem+json itself. */
  renderErrorPage(request: FastifyRequest, reply: FastifyReply, appError: AppError): unknown;
}

export async function createServer(deps: AppDeps, { renderErrorPage }: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ module: 'http' }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // Only configured proxies are believed (never `true`: a forged X-Forwarded-For would get fresh rate-limit buckets).
    trustProxy: deps.config.http.trustProxy ?? false,
    genReqId: () => deps.secrets.newPublicId(),
    requestIdHeader: false,
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // JSON: strict UTF-8 (invalid bytes are refused, not replaced by U+FFFD), prototype-poisoning keys refused,
  // depth capped (F1, F6).
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      text = typeof body === 'string' ? body : utf8.decode(body);
    } catch {
      return done(new AppError('PAYLOAD_MALFORMED'), undefined);
    }
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      return done(new AppError('PAYLOAD_MALFORMED'), undefined);
    }
    if (jsonDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return done(new AppError('VALIDATION_TOO_DEEP', { max: MAX_JSON_DEPTH }), undefined);
    done(null, value);
  });
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  await app.register(cookie);

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: deps.config.isSecure,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });

  // An IP backstop only; per-account throttling of sign-in is in the domain (A3).
  await app.register(rateLimit, {
    global: true,
    max: deps.config.http.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: () => new AppError('RATE_LIMITED'),
  });

  await app.register(context, { deps });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-request-id', _request.id);
    return payload;
  });

  app.setErrorHandler(async (error, request, reply) => {
    const { appError, isUnexpected, fieldErrors } = toAppError(error);
    if (isUnexpected) request.log.error({ err: error }, 'unexpected error');
    else if (ACCESS_REFUSALS.has(appError.code)) {
      // Every authentication and authorisation failure is logged with its request id (P3), never with secrets.
      request.log.warn({ code: appError.code, method: request.method, route: request.routeOptions.url }, 'access refused');
    }
    if (wantsJson(request.url, request.headers.accept, request.routeOptions.config?.kind)) {
      return sendProblem(reply, request, { appError, fieldErrors });
    }
    return renderErrorPage(request, reply, appError);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const appError = new AppError('NOT_FOUND');
    if (wantsJson(request.url, request.headers.accept, undefined)) return sendProblem(reply, request, { appError });
    return renderErrorPage(request, reply, appError);
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Sceau API', version: '1', description: 'Sceau JSON API. Errors are application/problem+json with a stable `code`.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Organisation API key (sceau_…)' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    uiConfig: { docExpansion: 'list' },
  });

  return app;
}

/** The JSON API and the public machine-readable routes (DID documents, status lists, images, VC-API, health). */
export async function registerApiRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(healthRoutes, { deps });
  await app.register(apiV1Routes, { deps, prefix: '/api/v1' });
  // VC-API (W3C) at the root, as the W3C test suites expect; each group is its own encapsulated plugin.
  await app.register(vcApiIssueRoutes, { deps });
  await app.register(vcApiVerifyRoutes, { deps });
  await app.register(issuerPublicRoutes, { deps });
  await app.register(imagePublicRoutes, { deps });
}
