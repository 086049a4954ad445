/**
 * VC-API issuing and status (W3C VC-API): POST /credentials/issue, POST /credentials/status.
 * Organisation API key as `Authorization: Bearer`. (Filled in by the credential-engine work.)
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps.js';

export const vcApiIssueRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async () => {};
