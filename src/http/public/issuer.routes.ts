/**
 * Public issuer documents: GET /orgs/:slug/did.json (did:web), the OB 3.0 issuer Profile, and the signed
 * BitstringStatusListCredentials. (Filled in by the credential-engine work.)
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps.js';

export const issuerPublicRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async () => {};
