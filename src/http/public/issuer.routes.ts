/**
 * Public issuer documents, no authentication (anyone verifying a credential fetches them):
 *  - GET /orgs/:slug/did.json            the did:web DID document (every key, current first, under assertionMethod)
 *  - GET /orgs/:slug/profile             the OB 3.0 issuer Profile
 *  - GET /orgs/:slug/status/:listId      a signed BitstringStatusListCredential, verbatim, cacheable for its ttl
 * An unknown organisation or list is a 404 problem, identical for every unknown value.
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getDidDocument, getPublicProfileDocument } from '../../domain/credentials/issuer-identity.js';
import { getStatusListDocument } from '../../domain/credentials/status-lists.js';
import { problemResponses } from '../api/schemas.js';
import type { AppDeps } from '../deps.js';

const SlugParams = z.object({ slug: z.string().max(100) });

const DidDocumentSchema = z
  .object({
    '@context': z.array(z.string()),
    id: z.string(),
    verificationMethod: z.array(z.object({ id: z.string(), type: z.literal('Multikey'), controller: z.string(), publicKeyMultibase: z.string() })),
    assertionMethod: z.array(z.string()),
  })
  .describe('DID document (did:web)');

const ProfileSchema = z
  .object({
    '@context': z.array(z.string()),
    id: z.string(),
    type: z.array(z.string()),
    name: z.string(),
    url: z.string(),
    description: z.string().optional(),
    image: z.object({ id: z.string(), type: z.literal('Image') }).optional(),
    email: z.string().optional(),
  })
  .describe('Open Badges 3.0 issuer Profile');

const StatusListSchema = z
  .object({
    '@context': z.array(z.string()),
    id: z.string(),
    type: z.array(z.string()),
    issuer: z.string(),
    validFrom: z.string(),
    credentialSubject: z.object({
      id: z.string(),
      type: z.literal('BitstringStatusList'),
      statusPurpose: z.string(),
      encodedList: z.string(),
      ttl: z.number(),
    }),
    proof: z.record(z.string(), z.unknown()),
  })
  .describe('BitstringStatusListCredential (signed, served verbatim)');

/** Readable by any verifier, including browser-based ones on other origins. */
const PUBLIC_HEADERS = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };

/** Seconds a DID document may be cached: short, so a rotated-in key is seen quickly. */
const DID_MAX_AGE = 60;

export const issuerPublicRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const tags = ['issuer'];

  app.get(
    '/orgs/:slug/did.json',
    {
      config: { kind: 'api' },
      schema: {
        summary: "The organisation's DID document (did:web)",
        tags,
        params: SlugParams,
        response: { 200: DidDocumentSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const doc = await getDidDocument(deps, { slug: request.params.slug });
      reply.header('cache-control', `public, max-age=${DID_MAX_AGE}`).headers(PUBLIC_HEADERS);
      return doc as z.infer<typeof DidDocumentSchema>;
    },
  );

  app.get(
    '/orgs/:slug/profile',
    {
      config: { kind: 'api' },
      schema: {
        summary: "The organisation's Open Badges 3.0 issuer Profile",
        tags,
        params: SlugParams,
        response: { 200: ProfileSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const doc = await getPublicProfileDocument(deps, { slug: request.params.slug });
      reply.header('cache-control', 'public, max-age=300').headers(PUBLIC_HEADERS);
      return doc as z.infer<typeof ProfileSchema>;
    },
  );

  app.get(
    '/orgs/:slug/status/:listId',
    {
      config: { kind: 'api' },
      schema: {
        summary: 'A signed Bitstring Status List credential (Cache-Control max-age = its ttl)',
        tags,
        params: z.object({ slug: z.string().max(100), listId: z.string().max(100) }),
        response: { 200: StatusListSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { document, ttlSeconds } = await getStatusListDocument(deps, request.params.slug, request.params.listId);
      // Sent verbatim (a string is not re-serialised): the bytes are the signed document's.
      return (reply as FastifyReply)
        .header('cache-control', `public, max-age=${ttlSeconds}`)
        .headers(PUBLIC_HEADERS)
        .type('application/json; charset=utf-8')
        .send(document);
    },
  );
};
