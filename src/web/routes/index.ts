import path from 'node:path';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/shared/errors.js';
import type { AppDeps } from '../../http/deps.js';
import { accountRoutes } from './account.routes.js';
import { adminRoutes } from './admin.routes.js';
import { authRoutes } from './auth.routes.js';
import { consoleRoutes } from './console.routes.js';
import { credentialsRoutes } from './credentials.routes.js';
import { holderRoutes, walletRoutes } from './holder.routes.js';
import { templatesRoutes } from './templates.routes.js';
import { bulkRoutes } from './bulk.routes.js';
import { resultsRoutes } from './results.routes.js';
import { imageRoutes } from './images.routes.js';
import { webhooksRoutes } from './webhooks.routes.js';
import { invitationRoutes } from './invitations.routes.js';
import { pageContext } from '../layout.js';
import { signInPage } from '../pages/auth.js';
import { safeNext, sendHtml } from './helpers.js';
import { UPLOAD_LIMIT_BYTES } from '../../http/limits.js';

/** Web pages in encapsulated groups: public, signed-in (redirect to sign-in), platform admin. */
/** Static assets live in src/web/assets (copied beside dist by the build). */
export const ASSETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../assets');

export async function registerWebRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(fastifyStatic, {
    root: ASSETS_DIR,
    prefix: '/assets/',
    decorateReply: false,
    maxAge: '1h',
    schemaHide: true,
  });
  await app.register(async (pub) => {
    await pub.register(authRoutes, { deps });
    await pub.register(invitationRoutes, { deps });
    await pub.register(holderRoutes, { deps });
  });

  await app.register(async (signedIn) => {
    // Uploads (bulk CSV/XLSX, template images): multipart bodies are read only for signed-in people, into memory,
    // as `{ field: string, file: Buffer }` so the zod schema and the CSRF check see them like any form.
    signedIn.addHook('onRequest', async (request) => {
      if (!request.user && /^multipart\//i.test(request.headers['content-type'] ?? '')) throw new AppError('AUTH_REQUIRED');
    });
    await signedIn.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: UPLOAD_LIMIT_BYTES, files: 1, fields: 200, fieldSize: 100_000, parts: 201, headerPairs: 200 },
    });
    // Not signed in (or the session ended): 401 with the sign-in form, which brings the visitor back here.
    signedIn.addHook('preHandler', async (request, reply) => {
      if (request.user) return;
      if (request.method !== 'GET') throw new AppError('AUTH_REQUIRED');
      const ctx = pageContext(request);
      return sendHtml(reply, signInPage(ctx, { general: [ctx.m.errors.AUTH_REQUIRED] }, safeNext(request.url, '')), 401);
    });
    // Console pages show times in their organisation's time zone (access is still checked by each route).
    signedIn.addHook('preHandler', async (request) => {
      const slug = (request.params as { slug?: unknown } | undefined)?.slug;
      if (!request.user || typeof slug !== 'string' || !request.routeOptions.url?.startsWith('/console/:slug')) return;
      const org = await deps.store.organizations.findBySlug(slug);
      if (org && (await deps.store.memberships.find(org.id, request.user.id))) request.timeZone = org.timeZone;
    });
    await signedIn.register(accountRoutes, { deps });
    await signedIn.register(consoleRoutes, { deps });
    await signedIn.register(credentialsRoutes, { deps });
    await signedIn.register(walletRoutes, { deps });
    await signedIn.register(templatesRoutes, { deps });
    await signedIn.register(bulkRoutes, { deps });
    await signedIn.register(resultsRoutes, { deps });
    await signedIn.register(imageRoutes, { deps });
    await signedIn.register(webhooksRoutes, { deps });
    await signedIn.register(adminRoutes, { deps });
  });
}
