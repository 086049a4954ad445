/**
 * VC-API verification: POST /credentials/verify, POST /presentations/verify. Public (no key needed).
 * (Filled in by the credential-engine work.)
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps.js';

export const vcApiVerifyRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async () => {};
