/**
 * `GET /orgs/:slug/images/:id` (and HEAD): an organisation's image, public (wallets, verifiers and e-mails embed
 * it). Only PNG or JPEG is ever stored, and it is served as inert data: its stored type, `nosniff`, a sandboxing
 * CSP, immutable caching (an id never changes content) with the SHA-256 as ETag. An image of another organisation
 * answers the same 404 as an unknown id.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getPublicImage } from '../../domain/templates/images.js';
import { problemResponses } from '../api/schemas.js';
import type { AppDeps } from '../deps.js';

/** Whether an If-None-Match header names this entity tag (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Bytes (never serialised: a Buffer is sent as is); typed for the OpenAPI document only. */
const Binary = z.instanceof(Buffer).meta({ type: 'string', format: 'binary' });

export const imagePublicRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/orgs/:slug/images/:id',
    {
      config: { kind: 'api' },
      schema: {
        summary: "An organisation's image (PNG or JPEG bytes)",
        tags: ['issuer'],
        params: z.object({ slug: z.string().max(100), id: z.string().max(100) }),
        response: {
          200: { description: 'The image, in its stored type', content: { 'image/png': { schema: Binary }, 'image/jpeg': { schema: Binary } } },
          304: z.null().describe('Not modified (If-None-Match matched the ETag)'),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const image = await getPublicImage(deps, request.params.slug, request.params.id);
      const etag = `"${image.sha256}"`;
      reply.headers({
        etag,
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cross-origin-resource-policy': 'cross-origin',
        'access-control-allow-origin': '*',
      });
      if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return reply.type(image.contentType).send(image.bytes);
    },
  );
};
