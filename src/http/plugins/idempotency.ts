/**
 * `Idempotency-Key` on every POST of the JSON API (Stripe semantics, draft-ietf-httpapi-idempotency-key-header).
 *
 * Registered (with fastify-plugin, so its hooks belong to the enclosing scope) inside `/api/v1` right after the
 * API-key authentication hook: every POST route of that scope, including routes registered later from other
 * files, gets it. A route can opt out with `config: { idempotency: false }` (e.g. a streamed upload whose body
 * is not parsed before the handler, so it could not be fingerprinted).
 *
 * - No header: nothing changes.
 * - Malformed header (not 1–255 visible ASCII characters; an RFC 8941 quoted string `"…"` is unquoted first):
 *   400 IDEMPOTENCY_KEY_INVALID.
 * - Key new (or expired, 24 h) for the organisation of the API key: claimed atomically as `pending` in
 *   `preValidation` (after body parsing, before schema validation, so a 400 validation error is remembered too);
 *   the response is stored at `onSend` for 2xx and 4xx, the claim released for anything else (5xx, crash) so
 *   the client may retry with the same key.
 * - Key known with the same fingerprint (keyed SHA-256 of method, path with query, canonical JSON body):
 *   `done` → the stored status and bytes are replayed with `Idempotent-Replayed: true`, the handler does not
 *   run; still `pending` → 409 IDEMPOTENCY_KEY_IN_PROGRESS.
 * - Key known with another fingerprint: 422 IDEMPOTENCY_KEY_REUSED.
 * Keys are per organisation: two organisations may use the same key independently.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { DAY, MINUTE } from '../../domain/shared/clock.js';
import { AppError } from '../../domain/shared/errors.js';
import { ProblemSchema } from '../api/schemas.js';
import type { AppDeps } from '../deps.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: this POST route ignores `Idempotency-Key` (default: honoured on every POST under /api/v1). */
    idempotency?: boolean;
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = DAY;
/** A `pending` claim older than this belongs to a request that died without releasing it: it may be taken over. */
export const IDEMPOTENCY_PENDING_LEASE_MS = 5 * MINUTE;

const VISIBLE_ASCII = /^[\x21-\x7E]{1,255}$/;

/** The key of an `Idempotency-Key` header value, or AppError IDEMPOTENCY_KEY_INVALID. */
export function parseIdempotencyKey(raw: string | string[]): string {
  if (typeof raw !== 'string') throw new AppError('IDEMPOTENCY_KEY_INVALID', {}, { field: IDEMPOTENCY_HEADER });
  const quoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"');
  const key = quoted ? raw.slice(1, -1) : raw;
  if (!VISIBLE_ASCII.test(key) || (quoted && /["\\]/.test(key))) {
    throw new AppError('IDEMPOTENCY_KEY_INVALID', {}, { field: IDEMPOTENCY_HEADER });
  }
  return key;
}

/** JSON with object keys sorted at every level: two bodies that differ only in key order fingerprint alike. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

function bodyText(body: unknown): string {
  if (Buffer.isBuffer(body)) return `bytes:${body.toString('base64')}`;
  if (body instanceof Uint8Array) return `bytes:${Buffer.from(body).toString('base64')}`;
  if (typeof body === 'string') return `text:${body}`;
  return `json:${canonicalJson(body)}`;
}

/** The request's fingerprint: keyed SHA-256 (HMAC) of method, path with query string and canonical body. */
export function fingerprintOf(secrets: Pick<AppDeps['secrets'], 'mac'>, method: string, { url, body }: { url: string; body: unknown }): string {
  return secrets.mac('idempotency-key', `${method}\n${url}\n${bodyText(body)}`);
}

interface Claim {
  orgId: string;
  key: string;
  fingerprint: string;
  settled: boolean;
}

function isPost(method: string | string[]): boolean {
  return Array.isArray(method) ? method.includes('POST') : method === 'POST';
}

const headerDoc = z
  .string()
  .max(257)
  .optional()
  .describe(
    'Optional. Makes the POST safe to retry: 1–255 visible ASCII characters, unique per request (a UUID). A retry with ' +
      'the same key and the same body within 24 h replays the first response (header `Idempotent-Replayed: true`); ' +
      'the same key with another body answers 422, while the first is still running 409.',
  );

async function idempotencyPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const claims = new WeakMap<FastifyRequest, Claim>();

  // OpenAPI: every POST route documents the optional header and the 409/422 answers.
  app.addHook('onRoute', (route) => {
    if (!isPost(route.method) || route.config?.idempotency === false) return;
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    const headers = schema['headers'];
    if (headers === undefined) schema['headers'] = z.object({ [IDEMPOTENCY_HEADER]: headerDoc });
    else if (headers instanceof z.ZodObject) schema['headers'] = headers.extend({ [IDEMPOTENCY_HEADER]: headerDoc });
    const response = schema['response'] as Record<string, unknown> | undefined;
    if (response && typeof response === 'object') {
      schema['response'] = { 409: ProblemSchema, 422: ProblemSchema, ...response };
    }
    route.schema = schema;
  });

  app.addHook('preValidation', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.config?.idempotency === false) return;
    const raw = request.headers[IDEMPOTENCY_HEADER];
    if (raw === undefined) return;
    const key = parseIdempotencyKey(raw);
    const orgId = request.apiOrg?.id;
    if (!orgId) throw new AppError('AUTH_REQUIRED');
    const now = deps.clock.now();
    const fingerprint = fingerprintOf(deps.secrets, request.method, { url: request.url, body: request.body });
    const result = await deps.store.idempotencyKeys.claim(
      { orgId, key, fingerprint, createdAt: now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) },
      new Date(now.getTime() - IDEMPOTENCY_PENDING_LEASE_MS),
    );
    if (result.claimed) {
      claims.set(request, { orgId, key, fingerprint, settled: false });
      return;
    }
    const { existing } = result;
    if (existing.fingerprint !== fingerprint) throw new AppError('IDEMPOTENCY_KEY_REUSED', {}, { field: IDEMPOTENCY_HEADER });
    if (existing.state !== 'done' || !existing.response) {
      throw new AppError('IDEMPOTENCY_KEY_IN_PROGRESS', {}, { field: IDEMPOTENCY_HEADER });
    }
    // The stored bytes, as sent the first time: a string payload is never re-serialised by Fastify.
    reply.code(existing.response.status).header(REPLAYED_HEADER, 'true');
    if (existing.response.contentType) reply.header('content-type', existing.response.contentType);
    return reply.send(existing.response.body);
  });

  const release = async (request: FastifyRequest, claim: Claim) => {
    try {
      await deps.store.idempotencyKeys.release(claim.orgId, claim.key, claim.fingerprint);
    } catch (err) {
      request.log.warn({ err }, 'idempotency key release failed');
    }
  };

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim || claim.settled) return payload;
    claim.settled = true;
    const status = reply.statusCode;
    const storable = payload === null || payload === undefined || typeof payload === 'string' || Buffer.isBuffer(payload);
    if (storable && ((status >= 200 && status < 300) || (status >= 400 && status < 500))) {
      const body = payload === null || payload === undefined ? '' : String(payload);
      const contentType = reply.getHeader('content-type');
      try {
        await deps.store.idempotencyKeys.complete(claim.orgId, claim.key, claim.fingerprint, {
          status,
          body,
          contentType: contentType === undefined ? null : String(contentType),
        });
      } catch (err) {
        request.log.warn({ err }, 'idempotency key completion failed');
        await release(request, claim);
      }
    } else {
      await release(request, claim);
    }
    return payload;
  });

  // Safety net: a request that never reached onSend (aborted connection) frees its key.
  app.addHook('onResponse', async (request) => {
    const claim = claims.get(request);
    if (claim && !claim.settled) {
      claim.settled = true;
      await release(request, claim);
    }
  });
}

export const idempotency = fp(idempotencyPlugin, { name: 'sceau-idempotency', fastify: '5.x' });
